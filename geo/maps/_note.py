"""The data note of the interactive maps: sources, dates and what is approximate."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from geo.vocab import term
from geo.vocab import tr as _t
from geo.zones import ZoneLayer

if TYPE_CHECKING:
    from geo.cities import City


def note_items(
    platforms: gpd.GeoDataFrame,
    kept: gpd.GeoDataFrame,
    zone_layer: ZoneLayer,
    provisional: ZoneLayer | None,
    table: pd.DataFrame,
    *,
    metric: str,
    tiles: str,
    lang: str,
    city: City,
) -> list[str]:
    """Plain-text lines for the map's data note (escaped when rendered).

    ``provisional`` is the provisional zone layer drawn on the map (the "363 layout"), if any.
    """
    items = [_platform_item(platforms, kept, lang)]
    items += _precision_items(kept, lang)
    if "verification" in kept and len(kept):
        counts = kept["verification"].value_counts()
        items.append(
            _t(lang, "核实状态: ", "Verification: ")
            + ", ".join(f"{term('verification', c, lang)} {n}" for c, n in counts.items())
        )
    src = zone_layer.provenance.get("source") or zone_layer.name
    items.append(
        _t(
            lang,
            f"边界: {src}; 网页版为简化边界, 仅供示意",
            f"Boundaries: {src}; simplified for the web, for display only",
        )
    )
    items += _zone_items(provisional, table, metric, lang, city)
    if tiles == "amap":
        items.append(
            _t(
                lang,
                "高德底图为GCJ-02坐标: 图上所有要素已偏移至GCJ-02",
                "Amap tiles are GCJ-02: everything drawn is shifted to GCJ-02 to match",
            )
        )
    items.append(
        _t(
            lang,
            "热力图仅为视觉辅助, 非核密度估计",
            "The heat layer is a visual aid, not a density estimate",
        )
    )
    today = dt.date.today().isoformat()
    items.append(_t(lang, f"制图日期: {today}", f"Map made {today}"))
    return items


def _platform_item(platforms: gpd.GeoDataFrame, kept: gpd.GeoDataFrame, lang: str) -> str:
    n_sources = int(kept["source"].nunique()) if "source" in kept else 0
    line = _t(
        lang,
        f"平台: biomap 平台名录, 显示 {len(kept)}/{len(platforms)} 个, {n_sources} 个来源",
        f"Platforms: biomap registry, {len(kept)} of {len(platforms)} shown, {n_sources} sources",
    )
    dates = kept["source_date"].dropna().astype(str) if "source_date" in kept else pd.Series()
    if len(dates):
        line += _t(lang, f"(来源日期至 {dates.max()})", f" (sources dated up to {dates.max()})")
    return line


def _precision_items(kept: gpd.GeoDataFrame, lang: str) -> list[str]:
    if "coord_precision" not in kept or not len(kept):
        return []
    counts = kept["coord_precision"].value_counts()
    approx = int(kept["coord_precision"].ne("exact").sum())
    detail = ", ".join(f"{term('coord_precision', c, lang)} {n}" for c, n in counts.items())
    return [
        _t(
            lang,
            f"坐标精度: {detail}; {approx} 个点为近似位置(点击查看误差与来源)",
            f"Coordinate precision: {detail}; {approx} points are approximate "
            "(the popup shows error and source)",
        )
    ]


def _zone_items(
    provisional: ZoneLayer | None, table: pd.DataFrame, metric: str, lang: str, city: City
) -> list[str]:
    k = "name_zh" if lang == "zh" else "name_en"
    items = []
    if metric == "per_100k":
        missing = table.loc[table["population"].isna(), k].astype(str).tolist()
        year = city.profile.units.population_year
        line = (
            _t(lang, f"人口: {year}年人口普查", f"Population: {year} census")
            if year
            else _t(lang, "人口: 见数据说明", "Population: see the data notes")
        )
        if missing:
            line += _t(lang, "; 无数据: ", "; no figure for: ") + ", ".join(missing)
        items.append(line)
    if provisional is None:
        return items
    title = provisional.title_zh if lang == "zh" else provisional.title_en
    items.append(
        _t(
            lang,
            f"{title}: 暂定, 非官方; 已绘制的范围为近似范围",
            f"{title}: provisional, not official; drawn extents are approximate",
        )
    )
    z = provisional.zones
    unlocated = z.loc[z.geometry.isna() | z.geometry.is_empty, k].astype(str).tolist()
    if unlocated:
        items.append(
            _t(
                lang,
                f"{title}: 位置未知、未绘制的区域({len(unlocated)}): ",
                f"{title}: zones with unknown location, not drawn ({len(unlocated)}): ",
            )
            + ", ".join(unlocated)
        )
    return items
