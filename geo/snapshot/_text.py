"""Bilingual wording of static maps: metric names, filter descriptions, source lines, notes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

from geo.captions import data_date, describe_filter, page_heading
from geo.vocab import tr

if TYPE_CHECKING:
    from geo.cities import City

__all__ = [
    "APPROXIMATE_PRECISIONS",
    "count_approximate",
    "data_date",
    "describe_filter",
    "display_width",
    "page_heading",
    "source_line",
    "tr",
    "wrap_items",
    "wrap_text",
]

#: Coordinate precisions that are not a point on the building: counted as approximate.
APPROXIMATE_PRECISIONS = frozenset({"campus", "landmark", "road", "street", "town", "district"})


def count_approximate(platforms: pd.DataFrame) -> int:
    """Platforms whose coordinates are approximate (campus level or coarser)."""
    if "coord_precision" not in platforms:
        return len(platforms)
    return int(platforms["coord_precision"].isin(APPROXIMATE_PRECISIONS).sum())


def source_line(
    *, shown: int, approximate: int, provisional: str | None, lang: str, city: City
) -> str:
    """The attribution line: boundaries, platforms (with approximate count), the provisional
    layer drawn (its title, or ``None``), and the CRS the map is drawn in."""
    src = city.units_layer.provenance.get("source") or city.name(lang)
    crs = city.profile.crs.metric_name
    if not city.metric_crs.lstrip().startswith("+"):  # a code (EPSG:4547), not a PROJ string
        crs += f"{tr(lang, '（', ' (')}{city.metric_crs}{tr(lang, '）', ')')}"
    if lang == "zh":
        parts = [
            f"边界：{src}",
            f"平台：biomap 平台登记库，图中 {shown} 个，其中 {approximate} 个为近似坐标（园区级或更粗）",
        ]
        if provisional:
            parts.append(f"{provisional}：暂定，非官方，虚线为近似范围")
        parts.append(f"投影：{crs}")
        return "；".join(parts) + "。"
    parts = [
        f"Boundaries: {src}",
        f"Platforms: biomap registry, {shown} shown, {approximate} with approximate coordinates "
        "(campus level or coarser)",
    ]
    if provisional:
        parts.append(f"{provisional}: provisional, not official; dashed = approximate")
    parts.append(f"Projection: {crs}")
    return ". ".join(parts) + "."


_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_TOKEN = re.compile(
    r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+|\s+"
)
_NO_LINE_START = set("，。；：、）」』”’！？,.;:)")


def display_width(text: str) -> int:
    """Width in half-width columns: CJK characters and full-width punctuation count 2."""
    return len(text) + len(_WIDE.findall(text))


def wrap_text(text: str, width: int) -> list[str]:
    """Wrap mixed CJK/Latin text to ``width`` half-width columns.

    Latin text breaks at spaces, CJK text between any two characters; closing punctuation
    never starts a line.
    """
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for tok in _TOKEN.findall(para):
            if tok.isspace():
                line += " " if line else ""
                continue
            fits = display_width(line + tok) <= width
            if fits or not line.strip() or tok in _NO_LINE_START:
                line += tok
            else:
                lines.append(line.rstrip())
                line = tok
        lines.append(line.rstrip())
    return lines


def wrap_items(items: list[str], width: int, sep: str) -> list[str]:
    """Join ``items`` with ``sep`` into lines of at most ``width`` half-width columns, never
    splitting an item."""
    lines: list[str] = []
    line = ""
    for item in items:
        candidate = f"{line}{sep}{item}" if line else item
        if line and display_width(candidate) > width:
            lines.append(line + sep.rstrip())
            line = item
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines
