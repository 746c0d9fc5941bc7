"""What the planner's web app (``/``) needs from the library: its point payload and settings.

The app filters, counts and clusters the platforms in the browser, so every platform travels
once as a compact columnar payload (coordinates as integers in 1e-5 degree, repeated strings
dictionary-encoded, like the interactive maps'); the full record of one platform, with its
provenance, comes from the API when it is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from geo.legend import MAX_CLASSES, classify
from geo.maps._assets import STATIC_DIR
from geo.maps._data import (
    CATEGORICAL,
    COORD_SCALE,
    LEVEL_RADIUS,
    NO_DATA_COLOR,
    SEQUENTIAL,
    _col,
    class_labels,
    encode_column,
    script_json,
)
from geo.taxonomy import VOCABULARIES
from geo.vocab import APP_LABELS, LABELS, METRICS

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from geo.cities import City
    from geo.zones import ZoneLayer

__all__ = [
    "APP_STATIC",
    "app_points",
    "app_settings",
    "choropleth_classes",
    "density_bases",
    "script_json",
]

#: The app's own script and stylesheet (served by the API under ``/app/assets/``).
APP_STATIC = STATIC_DIR / "app"
#: Text columns the app filters and searches on (the API's ``q`` searches the names, hosts and addresses).
TEXT_COLUMNS = (
    "id", "name_zh", "name_en", "host_zh", "host_en", "address_zh", "type", "sub_kind", "level",
    "district_adcode",
)  # fmt: skip
#: Vocabularies the app's filters and legends use.
APP_VOCABULARIES = (
    "type", "sub_kind", "level", "chain_stages", "verification", "fields", "supporting_unit",
)  # fmt: skip
#: Metrics of the choropleth switch (the density table's columns of the same names).
APP_METRICS = ("count", "per_km2", "per_100k", "lq_area", "lq_population")


def app_points(platforms: gpd.GeoDataFrame, layers: dict[str, ZoneLayer]) -> dict[str, Any]:
    """Every platform as the app's columnar payload.

    Parameters
    ----------
    platforms
        The assigned registry (WGS84 points with ``zone_<layer>`` columns).
    layers
        The zone layers; each one but the districts adds a ``zone_<layer>`` column.

    Returns
    -------
    dict
        ``n``, ``scale``, ``x0``/``y0`` and integer ``x``/``y`` offsets, one encoded column per
        text column, ``stages`` (comma-joined stage codes) and ``zones`` (layer -> column).
    """
    n = len(platforms)
    lon = platforms.geometry.x.to_numpy(dtype=float) if n else np.array([])
    lat = platforms.geometry.y.to_numpy(dtype=float) if n else np.array([])
    xi = np.round(lon * COORD_SCALE).astype(np.int64)
    yi = np.round(lat * COORD_SCALE).astype(np.int64)
    x0 = int(xi.min()) if n else 0
    y0 = int(yi.min()) if n else 0
    stages = [
        ",".join(v) if isinstance(v, (list, tuple, np.ndarray)) else ""
        for v in (platforms["chain_stages"] if "chain_stages" in platforms else [None] * n)
    ]
    zones = {
        name: encode_column(_col(platforms, f"zone_{name}"))
        for name in layers
        if name != "districts"
    }
    return {
        "n": n,
        "scale": COORD_SCALE,
        "x0": x0 / COORD_SCALE,
        "y0": y0 / COORD_SCALE,
        "x": (xi - x0).tolist(),
        "y": (yi - y0).tolist(),
        "columns": {c: encode_column(_col(platforms, c)) for c in TEXT_COLUMNS},
        "stages": encode_column(stages),
        "zones": zones,
    }


def app_settings(city: City, layers: dict[str, ZoneLayer]) -> dict[str, Any]:
    """The app's start-up settings: the city's map view, layers, vocabularies and wording.

    Every label is given in both languages (``[zh, en]``), from :mod:`geo.taxonomy` and
    :mod:`geo.vocab`, so the app switches language without asking the server.
    """
    profile = city.profile
    palette = {c: CATEGORICAL[i % len(CATEGORICAL)] for i, c in enumerate(VOCABULARIES["type"])}
    return {
        "city": {"zh": city.title("zh"), "en": city.title("en")},
        "center": list(profile.map.center),
        "zoom": profile.map.zoom,
        "units": [{"code": code, "zh": zh, "en": en} for code, (zh, en) in city.unit_names.items()],
        "layers": [
            {
                "name": name,
                "zh": layer.title_zh,
                "en": layer.title_en,
                "provisional": bool(layer.provisional),
            }
            for name, layer in layers.items()
        ],
        "vocab": {
            v: [{"code": c, "zh": zh, "en": en} for c, (zh, en) in VOCABULARIES[v].items()]
            for v in APP_VOCABULARIES
        },
        "metrics": [{"code": m, "zh": METRICS[m][0], "en": METRICS[m][1]} for m in APP_METRICS],
        "labels": {k: list(v) for k, v in (LABELS | APP_LABELS).items()},
        "type_colors": palette,
        "level_radius": LEVEL_RADIUS,
        "density": density_bases(layers),
        "classes": {"max": MAX_CLASSES, "sequential": SEQUENTIAL, "no_data": NO_DATA_COLOR},
    }


def density_bases(layers: dict[str, ZoneLayer]) -> dict[str, dict[str, Any]]:
    """Per layer, the filter-independent parts of ``/stats/density`` (administrative basis).

    The app counts the selected platforms per zone itself and derives the rates and LQs from
    these, with the same float64 operations as :func:`geo.stats.density.density_table`:
    ``area`` is each zone's unrounded area (km², equal-area CRS; ``None`` without geometry),
    ``area_km2`` the rounded figure the table shows, ``population`` the 2020 census figure
    (``None`` where unknown), ``total_area`` / ``pop_total`` the sums the LQs divide by.
    """
    from geo.stats.density import zone_areas_km2, zone_populations

    out = {}
    for name, layer in layers.items():
        area = zone_areas_km2(layer).to_numpy(dtype=float)
        pop = zone_populations(layer).reset_index(drop=True)
        located = ~np.isnan(area)
        known = pop.notna().to_numpy()
        total_area = float(area[located].sum())
        pop_total = float(pop[known].sum())

        zones = layer.zones
        out[name] = {
            "zone_id": zones["zone_id"].tolist(),
            "name_zh": _texts(zones["name_zh"]),
            "name_en": _texts(zones["name_en"]),
            "area": _nums(area),
            "area_km2": _nums(np.round(area, 3)),
            "population": _nums(pop.to_numpy(dtype=float)),
            "total_area": total_area,
            "total_area_km2": round(total_area, 3),
            "pop_total": pop_total,
            "district_basis": "administrative"
            if layer.name == "districts"
            else "not applicable (not a district layer)",
        }
    return out


def _nums(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in values]


def _texts(values: pd.Series) -> list[Any]:
    return values.astype(object).where(values.notna(), None).tolist()


def choropleth_classes(table: pd.DataFrame, metric: str) -> dict[str, Any]:
    """The classes of ``metric`` over a density table, as the maps and snapshots class them.

    Returns ``bins`` (class upper bounds), ``colors`` and ``labels`` (one per class), the
    ``scheme`` and ``fill``: zone id -> colour (the no-data grey where the value is unknown).
    """
    breaks = classify(table[metric])
    bins = list(breaks.bins)
    colors = SEQUENTIAL.get(len(bins), [])
    labels = (
        class_labels(bins, breaks.lowest, integer=metric == "count")
        if breaks.lowest is not None
        else []
    )
    fill = {
        str(z): (colors[c] if c >= 0 else NO_DATA_COLOR)
        for z, c in zip(table["zone_id"], breaks.index, strict=True)
    }
    return {
        "bins": bins,
        "colors": colors,
        "labels": labels,
        "scheme": breaks.scheme,
        "no_data": NO_DATA_COLOR,
        "fill": fill,
    }
