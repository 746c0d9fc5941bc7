"""Find and register a CJK font for static maps, explicitly, by file.

matplotlib caches its font list on first import; a font installed after that is invisible to
it until the cache is rebuilt. So the font file is registered with ``font_manager.addfont``
every time, and the family name is taken from the file itself, never from the cache.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from geo.errors import FontNotFoundError

#: Debian/Ubuntu ``fonts-noto-cjk`` paths first, then other common places.
CJK_FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
#: Family preferred inside a collection: Simplified Chinese glyph forms.
CJK_FAMILY = "Noto Sans CJK SC"
FONT_FIX = (
    "install a CJK font: `apt-get install fonts-noto-cjk` (scripts/setup.sh does this on a "
    "fresh machine)"
)


def find_cjk_font(candidates: tuple[str, ...] = CJK_FONT_CANDIDATES) -> Path:
    """Return the first CJK font file that exists.

    Raises
    ------
    FontNotFoundError
        Naming the paths tried and the fix.
    """
    for path in candidates:
        if Path(path).is_file():
            return Path(path)
    tried = ", ".join(repr(p) for p in candidates)
    raise FontNotFoundError(
        f"no CJK font found (tried {tried}); Chinese text would render as boxes: {FONT_FIX}"
    )


@cache
def register_cjk_font(path: str | None = None) -> str:
    """Register a CJK font file with matplotlib and return the family name to use.

    Parameters
    ----------
    path
        A font file (``.ttc``, ``.otf``, ``.ttf``); the first of :data:`CJK_FONT_CANDIDATES`
        that exists by default.

    Raises
    ------
    FontNotFoundError
        If no font file is found or it holds no CJK family.
    """
    from matplotlib import font_manager

    font_path = Path(path) if path else find_cjk_font()
    if not font_path.is_file():
        raise FontNotFoundError(f"font file {str(font_path)!r} does not exist: {FONT_FIX}")
    before = {id(f) for f in font_manager.fontManager.ttflist}
    font_manager.fontManager.addfont(str(font_path))
    added = [f for f in font_manager.fontManager.ttflist if id(f) not in before]
    names = [f.name for f in added if Path(f.fname) == font_path]
    if CJK_FAMILY in names:
        return CJK_FAMILY
    if not names:
        raise FontNotFoundError(f"{str(font_path)!r} holds no usable font face: {FONT_FIX}")
    return names[0]
