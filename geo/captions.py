"""The title and filter line of a map view, in Chinese or English (snapshots and the web app).

Kept apart from :mod:`geo.snapshot` (which loads matplotlib) so the web app's captions are
cheap; both print the same words because both call these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd

from geo.filters import PlatformFilter
from geo.vocab import label, metric_label, term, tr, unit_fields

if TYPE_CHECKING:
    from geo.cities import City
    from geo.zones import ZoneLayer

__all__ = ["data_date", "describe_filter", "page_heading"]

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
