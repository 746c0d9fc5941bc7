"""Normalising Chinese address text before matching, per city.

Full-width digits and letters become half-width (NFKC), traditional characters become
simplified (zhconv), white space goes, and the city's leading prefixes (the country, the
province, the city: ``中国``/``广东省``/``广州市`` for Guangzhou, from its profile) are dropped.
A prefix without its suffix (``广州``) is dropped only when it is not part of a name
(``广州医科大学`` keeps it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache

_SPACE = re.compile(r"\s+")
_SUFFIXES = ("省", "市", "区", "县", "国")
_CJK_NAME_CHAR = r"(?:(?![区县镇街路道村号大])[\u4e00-\u9fff])"
_LEADING_PLACE = re.compile(
    rf"^(?:中国)?(?:(?P<prov>[\u4e00-\u9fff]{{2,3}})省)?(?P<city>{_CJK_NAME_CHAR}{{2,4}}?)市"
)
_LEADING_PROVINCE = re.compile(r"^(?:中国)?(?P<prov>[\u4e00-\u9fff]{2,3})省")
_OTHER_MUNICIPALITIES = ("北京", "上海", "天津", "重庆", "香港", "澳门")
#: What follows a city's name when it names a street instead (广州's 北京路, 天津路 ...).
_STREET_SUFFIXES = (
    "路",
    "街",
    "大道",
    "大街",
    "东路",
    "西路",
    "南路",
    "北路",
    "中路",
    "巷",
    "步行街",
)


@cache
def _zhconv():
    """zhconv with its dictionary loaded, on first use (not at import).

    Loaded through a closed file handle: zhconv's lazy loader leaks one, which surfaces as a
    ResourceWarning; passing the explicit path takes its ``with open`` branch.
    """
    from importlib.resources import files

    import zhconv
    from zhconv import zhconv as impl

    impl.loaddict(str(files("zhconv") / "zhcdict.json"))
    return zhconv


def simplify(text: str) -> str:
    """NFKC, no white space, simplified characters, ASCII brackets (no prefix removal)."""
    out = unicodedata.normalize("NFKC", str(text))
    out = _SPACE.sub("", out)
    out = _zhconv().convert(out, "zh-cn")
    return out.replace("（", "(").replace("）", ")")


class TextNormalizer:
    """A city's address normaliser (:meth:`normalize`) and foreign-place test.

    Parameters
    ----------
    prefixes
        Leading text to drop, tried in order, repeatedly (``中国``, ``广东省``, ``广州市``...).
    own_place_names
        Short names of the city and its former county-level cities (``从化``): an address led by
        ``从化市`` is inside the city, not a foreign place.
    province
        The city's province without its suffix (``广东``): an address led by another province
        is foreign.
    """

    def __init__(
        self, prefixes: Iterable[str] = (), own_place_names: Iterable[str] = (), province: str = ""
    ) -> None:
        self.prefixes = tuple(prefixes)
        self.own_place_names = tuple(own_place_names)
        self.province = province.removesuffix("省")
        self.normalize = lru_cache(maxsize=65536)(self._normalize)
        self.foreign_place = lru_cache(maxsize=65536)(self._foreign_place)

    def _normalize(self, text: str) -> str:
        """Return ``text`` normalised for matching (see module docstring); ``""`` for blanks."""
        if not text:
            return ""
        out = simplify(text)
        changed = True
        while changed:
            changed = False
            for prefix in self.prefixes:
                if out.startswith(prefix) and not keeps_prefix(out, prefix):
                    out = out[len(prefix) :]
                    changed = True
        return out.lower()

    def _foreign_place(self, text: str) -> str | None:
        """Name the province or city outside this city that leads ``text``, or ``None``.

        Works on raw or normalised text. For Guangzhou: ``深圳市南山区...`` -> ``"深圳市"``;
        ``广东省佛山市...`` -> ``"佛山市"``; ``湖南省...`` -> ``"湖南省"``; ``广州市...``,
        ``从化市...`` (a former Guangzhou city) -> ``None``.
        """
        raw = _SPACE.sub("", unicodedata.normalize("NFKC", str(text or "")))
        for city in _OTHER_MUNICIPALITIES:
            for lead in (city, "中国" + city):
                if raw.startswith(lead) and not raw[len(lead) :].startswith(_STREET_SUFFIXES):
                    return city
        m = _LEADING_PLACE.match(raw)
        if m:
            prov, city = m.group("prov"), m.group("city")
            if prov and prov != self.province:
                return f"{prov}省"
            if city and not city.startswith(self.own_place_names):
                return f"{city}市"
        m = _LEADING_PROVINCE.match(raw)
        if m and m.group("prov") != self.province:
            return f"{m.group('prov')}省"
        return None


def keeps_prefix(text: str, prefix: str) -> bool:
    """A bare name (``广州``, no suffix) is part of a name unless followed by 市/省 or nothing."""
    if prefix.endswith(_SUFFIXES):
        return False
    rest = text[len(prefix) :]
    return bool(rest) and not rest.startswith(("市", "省"))
