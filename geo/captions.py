"""The title and filter line of a map view, in Chinese or English (snapshots and the web app).

Kept apart from :mod:`geo.snapshot` (which loads matplotlib) so the web app's captions are
cheap; both print the same words because both call these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def describe_filter(
    flt: PlatformFilter,
    lang: str,
    *,
    city: City,
    layers: Mapping[str, ZoneLayer] | None = None,
) -> str:
    """A short human description of a filter, e.g. ``类型: 基础条件服务平台``; ``""`` if empty.

    With ``layers``, a ``zone`` filter is described by the zones' names (else by their ids).
    """
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
    if flt.zone:
        names = sep.join(_zone_name(spec, layers or {}, lang) for spec in flt.zone)
        parts.append(f"{tr(lang, '所在区域', 'zone')}: {names}")
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


def _zone_name(spec: str, layers: Mapping[str, ZoneLayer], lang: str) -> str:
    """The name of zone ``spec`` (``ZONE_ID`` or ``LAYER:ZONE_ID``) in ``layers``, else ``spec``."""
    layer_name, _, zone_id = spec.rpartition(":")
    for name, layer in layers.items():
        if (layer_name and name != layer_name) or (not layer_name and name == "districts"):
            continue
        zones = layer.zones
        hit = zones[zones["zone_id"].astype(str) == zone_id]
        if len(hit):
            row = hit.iloc[0]
            return str(row["name_zh"] if lang == "zh" else row["name_en"])
    return spec


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
    layers: Mapping[str, ZoneLayer] | None = None,
) -> tuple[str, str]:
    """The title and subtitle of a map of ``metric`` by ``layer`` (snapshots and the web app).

    The subtitle has the data date, the number of platforms shown and the filter
    (:func:`describe_filter`, zones named from ``layers``), joined by `` · ``; ``title``
    overrides the default title.
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
    desc = describe_filter(flt, lang, city=city, layers=layers)
    if desc:
        parts.append(tr(lang, f"筛选：{desc}", f"Filter: {desc}"))
    return heading, " · ".join(parts)


def data_date(platforms: gpd.GeoDataFrame) -> str | None:
    """The newest ``source_date`` in the registry (the data's date), or ``None``."""
    if "source_date" not in platforms or not len(platforms):
        return None
    dates = platforms["source_date"].dropna().astype(str)
    return max(dates) if len(dates) else None
