"""Bilingual wording of static maps: metric names, filter descriptions, source lines, notes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from geo.filters import PlatformFilter
from geo.vocab import label, metric_label, term, tr, unit_fields

if TYPE_CHECKING:
    from geo.cities import City
    from geo.zones import ZoneLayer

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

#: filter attribute -> taxonomy vocabulary (its label comes from :mod:`geo.vocab`).
_FILTER_VOCAB = {
    "type": "type",
    "sub_kind": "sub_kind",
    "field": "fields",
    "level": "level",
    "stage": "chain_stages",
    "supporting_unit": "supporting_unit",
}
_FILTER_LABEL = {"field": "filter_field"}


def describe_filter(flt: PlatformFilter, lang: str, *, city: City) -> str:
    """A short human description of a filter, e.g. ``类型: 基础条件服务平台``; ``""`` if empty."""
    sep = "、" if lang == "zh" else ", "
    parts = []
    for attr, vocab in _FILTER_VOCAB.items():
        codes = getattr(flt, attr)
        if codes:
            names = sep.join(term(vocab, c, lang) for c in codes)
            parts.append(f"{label(_FILTER_LABEL.get(attr, 'filter_' + attr), lang)}: {names}")
    units = unit_fields(city, lang)
    for attr in ("district", "managing"):
        codes = getattr(flt, attr)
        if codes:
            names = sep.join(city.unit_name(c, lang) or str(c) for c in codes)
            parts.append(f"{label('filter_' + attr, lang, **units)}: {names}")
    if flt.established_max is not None:
        parts.append(
            tr(
                lang,
                f"成立于 {flt.established_max} 年及以前",
                f"established by {flt.established_max}",
            )
        )
    if flt.q:
        parts.append(tr(lang, f"名称含“{flt.q}”", f'name contains "{flt.q}"'))
    return tr(lang, "；", "; ").join(parts)


def page_heading(
    city: City,
    layer: ZoneLayer,
    metric: str,
    flt: PlatformFilter,
    *,
    lang: str,
    shown: int,
    date: str | None,
    title: str | None = None,
) -> tuple[str, str]:
    """The title and subtitle of a map of ``metric`` by ``layer`` (snapshots and the web app).

    The subtitle has the data date, the number of platforms shown and the filter
    (:func:`describe_filter`), joined by `` · ``; ``title`` overrides the default title.
    """
    layer_title = layer.title_zh if lang == "zh" else layer.title_en
    subject = city.title(lang)
    name = metric_label(metric, lang)
    heading = title or tr(
        lang,
        f"{subject}分布：{layer_title}{name}",
        f"{subject}: {name} by {layer_title.lower()}",
    )
    when = date or tr(lang, "未知", "unknown")
    parts = [
        tr(lang, f"数据日期 {when}", f"Data as of {when}"),
        tr(lang, f"图中平台 {shown} 个", f"{shown} platforms shown"),
    ]
    desc = describe_filter(flt, lang, city=city)
    if desc:
        parts.append(tr(lang, f"筛选：{desc}", f"Filter: {desc}"))
    return heading, " · ".join(parts)


def data_date(platforms: gpd.GeoDataFrame) -> str | None:
    """The newest ``source_date`` in the registry (the data's date), or ``None``."""
    if "source_date" not in platforms or not len(platforms):
        return None
    dates = platforms["source_date"].dropna().astype(str)
    return max(dates) if len(dates) else None


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
    crs = f"{city.profile.crs.metric_name}{tr(lang, '（', ' (')}{city.metric_crs}{tr(lang, '）', ')')}"
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
