"""Normalising Chinese address text before matching.

Full-width digits and letters become half-width (NFKC), traditional characters become
simplified (zhconv), white space goes, and leading ``中国``/``广东省``/``广州市`` prefixes are
dropped (only as prefixes: ``广州医科大学`` keeps its ``广州``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib.resources import files

import zhconv
from zhconv import zhconv as _zhconv_impl

# Load zhconv's dictionary through a closed file handle (its lazy loader leaks one, which
# surfaces as a ResourceWarning); passing the explicit path takes its ``with open`` branch.
_zhconv_impl.loaddict(str(files("zhconv") / "zhcdict.json"))

_PREFIXES = ("中华人民共和国", "中国", "广东省", "广东", "广州市", "广州")
_SPACE = re.compile(r"\s+")
# Provinces and cities that put an address outside Guangzhou when they lead it.
_GUANGZHOU_CITY_NAMES = {"广州", "从化", "增城", "番禺", "花都"}
_CJK_NAME_CHAR = r"(?:(?![区县镇街路道村号大])[\u4e00-\u9fff])"
_LEADING_PLACE = re.compile(
    rf"^(?:中国)?(?:(?P<prov>[\u4e00-\u9fff]{{2,3}})省)?(?P<city>{_CJK_NAME_CHAR}{{2,4}}?)市"
)
_OTHER_MUNICIPALITIES = ("北京", "上海", "天津", "重庆", "香港", "澳门")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Return ``text`` normalised for matching (see module docstring); ``""`` for blanks."""
    if not text:
        return ""
    out = unicodedata.normalize("NFKC", str(text))
    out = _SPACE.sub("", out)
    out = zhconv.convert(out, "zh-cn")
    out = out.replace("（", "(").replace("）", ")")
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if out.startswith(prefix) and not _keeps_prefix(out, prefix):
                out = out[len(prefix) :]
                changed = True
    return out.lower()


def _keeps_prefix(text: str, prefix: str) -> bool:
    """``广州`` is part of a name (广州医科大学, 广州大道) unless followed by 市 or nothing."""
    if prefix not in ("广州", "广东"):
        return False
    rest = text[len(prefix) :]
    return bool(rest) and not rest.startswith(("市", "省"))


@lru_cache(maxsize=65536)
def foreign_place(text: str) -> str | None:
    """Name the province or city outside Guangzhou that leads ``text``, or ``None``.

    Works on raw or :func:`normalize`-d text. ``深圳市南山区...`` -> ``"深圳市"``;
    ``广东省佛山市...`` -> ``"佛山市"``; ``湖南省...`` -> ``"湖南省"``; ``广州市...``,
    ``从化市...`` (a former Guangzhou city) -> ``None``.
    """
    raw = _SPACE.sub("", unicodedata.normalize("NFKC", str(text or "")))
    for city in _OTHER_MUNICIPALITIES:
        if raw.startswith((city, "中国" + city)):
            return city
    m = _LEADING_PLACE.match(raw)
    if m:
        prov, city = m.group("prov"), m.group("city")
        if prov and prov != "广东":
            return f"{prov}省"
        if city and city not in _GUANGZHOU_CITY_NAMES and not city.startswith("广州"):
            return f"{city}市"
    m = re.match(r"^(?:中国)?(?P<prov>[\u4e00-\u9fff]{2,3})省", raw)
    if m and m.group("prov") != "广东":
        return f"{m.group('prov')}省"
    return None
