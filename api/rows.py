"""Row-level edits of a served snapshot: new row order, feature bytes and frame for changed ids.

:meth:`api.data.ServiceData.apply` uses these to swap a few records into a snapshot without
touching the others: the id order and the serialised features are spliced (plain lists), the
GeoDataFrame is rebuilt from the previous one only when a request needs it (:func:`replace_rows`).
Every function gives exactly what a snapshot rebuilt from the store holds (tests compare them).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from api.responses import dumps
from geo.crs import from_wgs84
from geo.store import PlatformRecord, records_to_frame

#: Frame columns that are not feature properties.
NOT_PROPERTIES = ("geometry", "lon", "lat")


def merge_order(ids: Sequence[str], changed: Collection[str], upserts: Iterable[str]) -> list[str]:
    """The row order after removing ``changed`` and adding ``upserts``: ids that stay keep
    their place; a new id goes where id order puts it if ``ids`` were in id order (a store's
    order), else last."""
    out = [i for i in ids if i not in changed] if changed else list(ids)
    ordered = all(a < b for a, b in itertools.pairwise(ids))
    for rid in upserts:
        if ordered:
            bisect.insort(out, rid)
        else:
            out.append(rid)
    return out


def flat_row(record: PlatformRecord) -> dict[str, Any]:
    """``record`` as a frame row holds it: fields, then ``zone_<layer>`` for its zones."""
    row = record.model_dump()
    for layer, zone in row.pop("zones").items():
        row[f"zone_{layer}"] = zone
    return row


def new_columns(columns: list[str], rows: Iterable[dict[str, Any]]) -> list[str]:
    """``columns`` and any column of ``rows`` they lack (a zone layer only these records have)."""
    out = list(columns)
    for row in rows:
        out += [c for c in row if c not in out]
    return out


def feature_bytes(
    rows: list[dict[str, Any]],
    columns: list[str],
    system: str,
    integers: Sequence[str],
) -> list[bytes]:
    """Feature bytes of flat rows, exactly as :func:`api.data.platform_feature_bytes` writes the
    same rows of a frame with ``columns`` (properties in column order, absent ones ``null``)."""
    if not rows:
        return []
    x, y = from_wgs84(
        np.array([r["lon"] for r in rows], dtype=np.float64),
        np.array([r["lat"] for r in rows], dtype=np.float64),
        system,  # type: ignore[arg-type]
    )
    x, y = np.round(x, 7), np.round(y, 7)
    names = [c for c in columns if c not in NOT_PROPERTIES]
    out = []
    for row, xi, yi in zip(rows, x, y, strict=True):
        props = {name: row.get(name) for name in names}
        for name in integers:
            if props.get(name) is not None:
                props[name] = int(props[name])
        feature = {
            "type": "Feature",
            "id": props["id"],
            "geometry": {"type": "Point", "coordinates": [float(xi), float(yi)]},
            "properties": props,
        }
        out.append(dumps(feature))
    return out


def replace_rows(
    frame: gpd.GeoDataFrame,
    changed: Mapping[str, PlatformRecord | None],
    order: list[str],
    columns: list[str],
) -> gpd.GeoDataFrame:
    """``frame`` with the rows of ``changed`` replaced by its (assigned) records, or removed
    where ``None``, in row order ``order``; columns typed as a rebuild from records types them."""
    kept = frame[~frame["id"].astype(str).isin(set(changed)).to_numpy()]
    records = [r for r in changed.values() if r is not None]
    if records:
        rows = records_to_frame(records).reindex(columns=columns)
        out = pd.concat([kept.reindex(columns=columns), rows], ignore_index=True)
        for name in columns:
            if name == "geometry" or (name in frame and kept[name].dtype == rows[name].dtype):
                continue
            try:  # the served column's type, if it holds the new values (str, float, object)
                out[name] = out[name].astype(frame[name].dtype)
            except (KeyError, TypeError, ValueError):  # a new column, or ints with a gap: infer
                out[name] = pd.Series(out[name].tolist(), index=out.index)
    else:
        out = kept
    positions = pd.Index(out["id"].astype(str)).get_indexer(order)
    out = out.iloc[positions]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs).reset_index(drop=True)
