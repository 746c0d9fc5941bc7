"""Data preparation for the interactive maps: class breaks, compact point payloads, popups.

Nothing here touches folium; :mod:`geo.maps._layers` turns these into map elements.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import from_wgs84, shift_geometry
from geo.taxonomy import LEVELS, VOCABULARIES
from geo.vocab import label, term, unit_fields

if TYPE_CHECKING:
    from geo.cities import City
    from geo.zones import ZoneLayer

#: ColorBrewer YlOrRd, by number of classes.
SEQUENTIAL = {
    1: ["#fd8d3c"],
    2: ["#fecc5c", "#e31a1c"],
    3: ["#ffeda0", "#feb24c", "#f03b20"],
    4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
    5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
}
NO_DATA_COLOR = "#d9d9d9"
#: Categorical colours (ColorBrewer Set1 without yellow, then Dark2).
CATEGORICAL = [
    "#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#1b9e77",
    "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#666666", "#17becf", "#bcbd22",
    "#8c564b",
]  # fmt: skip
#: Dot radius (pixels) by level: the higher the level, the bigger the dot.
LEVEL_RADIUS = {"national": 8, "provincial": 6.5, "municipal": 5.5, "district": 4.5, "none": 4}
COORD_SCALE = 100_000  # 1e-5 degree, about 1 m: far finer than any platform's coordinate precision
GROUP_VOCAB = {"type": "type", "level": "level", "sub_kind": "sub_kind"}


def script_json(value: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` (no ``</script>``, ``<!--`` or U+2028)."""
    out = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        out = out.replace(char, escaped)
    return out.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# --- choropleth class labels (the classes come from geo.legend.classify) ----------------


def class_labels(bins: list[float], lowest: float, *, integer: bool) -> list[str]:
    """Human labels for classes with upper bounds ``bins`` (lowest value ``lowest``)."""
    labels = []
    low = lowest
    for i, high in enumerate(bins):
        if integer:
            lo = int(low) if i == 0 else math.floor(bins[i - 1]) + 1
            labels.append(f"{lo}" if lo >= int(high) else f"{lo}–{int(high)}")
        else:
            lo_text = _fmt(low) if i == 0 else "> " + _fmt(bins[i - 1])
            labels.append(_fmt(high) if i == 0 and low == high else f"{lo_text} – {_fmt(high)}")
    return labels


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:,.{digits}f}"


# --- point payload ------------------------------------------------------------------------


def encode_column(values: list[Any]) -> dict[str, list[Any]]:
    """Dictionary-encode a column when it repeats (``{"d": uniques, "i": idx}``), else ``{"v"}``.

    ``None`` becomes index -1.
    """
    uniques: dict[Any, int] = {}
    idx = []
    for v in values:
        if v is None:
            idx.append(-1)
            continue
        idx.append(uniques.setdefault(v, len(uniques)))
    if len(uniques) * 2 <= len(values):
        return {"d": list(uniques), "i": idx}
    return {"v": list(values)}


def _str(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text_value = str(value).strip()
    return text_value or None


def _col(frame: pd.DataFrame, name: str) -> list[Any]:
    if name not in frame:
        return [None] * len(frame)
    return [_str(v) for v in frame[name].tolist()]


def _vocab_col(frame: pd.DataFrame, name: str, vocab: str, lang: str) -> list[str | None]:
    if name not in frame:
        return [None] * len(frame)
    mapping = {code: term(vocab, code, lang) for code in VOCABULARIES[vocab]}
    return [mapping.get(v, _str(v)) if v is not None else None for v in frame[name].tolist()]


def _list_col(frame: pd.DataFrame, name: str, vocab: str, lang: str) -> list[str | None]:
    if name not in frame:
        return [None] * len(frame)
    sep = "、" if lang == "zh" else ", "
    out: list[str | None] = []
    for items in frame[name].tolist():
        codes = list(items) if isinstance(items, (list, tuple, np.ndarray)) else []
        out.append(sep.join(term(vocab, c, lang) for c in codes) or None)
    return out


def _unit_col(frame: pd.DataFrame, lang: str, city: City) -> list[str | None]:
    k = 0 if lang == "zh" else 1
    names = {code: pair[k] for code, pair in city.unit_names.items()}
    admin = _col(frame, "district_adcode")
    managing = _col(frame, "managing_adcode")
    out: list[str | None] = []
    for a, m in zip(admin, managing, strict=True):
        if a is None:
            out.append(None)
            continue
        value = names.get(a, a)
        if m and m != a:
            value += f" ({label('managing', lang)}: {names.get(m, m)})"
        out.append(value)
    return out


def _zone_col(frame: pd.DataFrame, zones: ZoneLayer, lang: str) -> list[str | None]:
    k = "name_zh" if lang == "zh" else "name_en"
    z = zones.zones
    zone_names = dict(zip(z["zone_id"], z[k].astype(str), strict=True))
    ids = _col(frame, f"zone_{zones.name}")
    suffix = f" ({label('provisional', lang)})"
    return [None if z is None else zone_names.get(z, z) + suffix for z in ids]


def _coord_col(frame: pd.DataFrame, lang: str) -> list[str | None]:
    precision = _vocab_col(frame, "coord_precision", "coord_precision", lang)
    source = _col(frame, "coord_source")
    unc = (
        frame["coord_uncertainty_m"].tolist()
        if "coord_uncertainty_m" in frame
        else [None] * len(frame)
    )
    out = []
    for p, s, u in zip(precision, source, unc, strict=True):
        parts = [p] if p else []
        if u is not None and not (isinstance(u, float) and math.isnan(u)):
            parts.append(f"±{float(u):,.0f} m")
        if s:
            parts.append(s)
        out.append("; ".join(parts) or None)
    return out


def _source_col(frame: pd.DataFrame) -> list[str | None]:
    return [
        None if s is None else (f"{s} ({d})" if d else s)
        for s, d in zip(_col(frame, "source"), _col(frame, "source_date"), strict=True)
    ]


def _names(frame: pd.DataFrame, lang: str) -> tuple[list[str], list[str | None]]:
    zh = _col(frame, "name_zh")
    en = _col(frame, "name_en")
    if lang == "zh":
        return [z or e or "" for z, e in zip(zh, en, strict=True)], en
    return [e or z or "" for z, e in zip(zh, en, strict=True)], [
        z if e else None for z, e in zip(zh, en, strict=True)
    ]


def popup_rows(
    frame: pd.DataFrame, lang: str, *, city: City, zones: ZoneLayer | None = None
) -> list[dict[str, Any]]:
    """The rows of a platform popup, each ``{label, col}`` with an encoded column.

    ``zones`` is the provisional zone layer whose zone each platform lies in (``zone_NAME``).
    """
    host = _col(frame, "host_zh" if lang == "zh" else "host_en")
    if lang != "zh":
        host = [h or z for h, z in zip(host, _col(frame, "host_zh"), strict=True)]
    established = [None if v is None else v.split(".")[0] for v in _col(frame, "established")]
    unit = label("unit", lang, **unit_fields(city, lang))
    columns = [
        (label("host", lang), host),
        (label("type", lang), _vocab_col(frame, "type", "type", lang)),
        (label("sub_kind", lang), _vocab_col(frame, "sub_kind", "sub_kind", lang)),
        (label("fields", lang), _list_col(frame, "fields", "fields", lang)),
        (label("level", lang), _vocab_col(frame, "level", "level", lang)),
        (label("established", lang), established),
        (label("address", lang), _col(frame, "address_zh")),
        (unit, _unit_col(frame, lang, city)),
        (label("coord", lang), _coord_col(frame, lang)),
        (label("source", lang), _source_col(frame)),
        (label("verification", lang), _vocab_col(frame, "verification", "verification", lang)),
    ]
    if zones is not None:
        title = zones.title_zh if lang == "zh" else zones.title_en
        columns.insert(8, (title, _zone_col(frame, zones, lang)))
    return [{"label": name, "col": encode_column(values)} for name, values in columns]


def group_specs(frame: pd.DataFrame, group_by: str, lang: str) -> tuple[list[dict], np.ndarray]:
    """The point groups (one layer each) present in ``frame`` and each row's group index."""
    vocab = GROUP_VOCAB[group_by]
    codes = frame[group_by].astype(str).to_numpy() if len(frame) else np.array([], dtype=str)
    order = [c for c in VOCABULARIES[vocab] if c in set(codes)]
    order += sorted(set(codes) - set(order))
    palette = {c: CATEGORICAL[i % len(CATEGORICAL)] for i, c in enumerate(VOCABULARIES[vocab])}
    specs = [
        {
            "code": c,
            "label": term(vocab, c, lang),
            "color": palette.get(c, "#666666"),
            "count": int((codes == c).sum()),
        }
        for c in order
    ]
    index = {c: i for i, c in enumerate(order)}
    return specs, np.array([index[c] for c in codes], dtype=int)


def points_payload(
    frame: gpd.GeoDataFrame,
    *,
    group_by: str,
    lang: str,
    shift: str | None,
    city: City,
    zones: ZoneLayer | None = None,
) -> tuple[dict[str, Any], list[dict]]:
    """The compact columnar payload the browser code draws points from, and the group specs.

    Coordinates are integers in 1e-5 degree from an origin; repeated strings are
    dictionary-encoded. ``shift`` is a coordinate system to shift to (``gcj02`` for Amap).
    """
    lon = frame.geometry.x.to_numpy(dtype=float)
    lat = frame.geometry.y.to_numpy(dtype=float)
    if shift and len(frame):
        lon, lat = (np.asarray(a, dtype=float) for a in from_wgs84(lon, lat, shift))
    xi = np.round(lon * COORD_SCALE).astype(np.int64)
    yi = np.round(lat * COORD_SCALE).astype(np.int64)
    x0 = int(xi.min()) if len(xi) else 0
    y0 = int(yi.min()) if len(yi) else 0
    groups, gidx = group_specs(frame, group_by, lang)
    level_codes = list(LEVELS)
    lidx = [
        level_codes.index(v) if v in level_codes else len(level_codes) - 1
        for v in _col(frame, "level")
    ]
    names, others = _names(frame, lang)
    payload = {
        "n": len(frame),
        "scale": COORD_SCALE,
        "x0": x0 / COORD_SCALE,
        "y0": y0 / COORD_SCALE,
        "x": (xi - x0).tolist(),
        "y": (yi - y0).tolist(),
        "g": gidx.tolist(),
        "l": lidx,
        "groups": groups,
        "levels": [{"code": c, "radius": LEVEL_RADIUS[c]} for c in level_codes],
        "name": {"v": names},
        "name_other": encode_column(others),
        "rows": popup_rows(frame, lang, city=city, zones=zones),
    }
    return payload, groups


def shifted(gdf: gpd.GeoDataFrame, shift: str | None) -> gpd.GeoDataFrame:
    """``gdf`` with geometries shifted to ``shift`` (for Amap tiles), or unchanged."""
    if not shift:
        return gdf
    out = gdf.copy()
    located = ~(out.geometry.isna() | out.geometry.is_empty)
    out.loc[located, "geometry"] = [shift_geometry(g, shift) for g in out.geometry[located]]
    return out
