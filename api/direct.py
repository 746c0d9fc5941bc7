"""Direct mode: the platforms' items and density answered from PostGIS per request.

A server whose PostGIS registry has more than ``BIOMAP_SNAPSHOT_MAX_ROWS`` rows does not load
it (:attr:`api.data.ServiceData.direct`). ``/collections/platforms/items`` then runs one SQL page
query (:mod:`geo.store.direct`) and encodes the page's records with the snapshot's encoder
(:func:`api.rows.feature_bytes`, after :func:`geo.zones.assign.assign_many`: the same
assignment as an incremental snapshot update's), so a feature's bytes, a page's links and its ETag are the
snapshot path's. Differences, all documented in the README:

- the ``next`` link carries a keyset token (``after=...``: the last id and the position);
  ``offset`` still works up to ``BIOMAP_DIRECT_MAX_OFFSET`` (SQL ``OFFSET`` scans what it skips);
- ``numberMatched`` is given when exact and cheap (fewer than
  :data:`geo.store.postgis.EXACT_COUNT_BELOW` matches by the planner's estimate), else omitted,
  as OGC API - Features allows;
- a CQL2 ``filter`` is a 400 naming the limitation (the query parameters map to SQL; CQL2 in
  full does not, yet).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np
import orjson

from api.data import OutputSystem, ServiceData, record_integers
from api.errors import BadParameterError
from api.responses import dumps
from api.rows import feature_bytes, new_columns
from geo.filters import PlatformFilter
from geo.store import direct as sqlq
from geo.zones.assign import assign_many


def encode_token(last_id: str, position: int) -> str:
    """The keyset token of the page after ``last_id`` (the next page starts at ``position``)."""
    return base64.urlsafe_b64encode(orjson.dumps([last_id, position])).decode().rstrip("=")


def decode_token(token: str) -> tuple[str, int]:
    """``(last_id, position)`` of a token; 400 for one this server did not make."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        last_id, position = orjson.loads(raw)
        if isinstance(last_id, str) and isinstance(position, int) and position >= 0:
            return last_id, position
    except (binascii.Error, ValueError, TypeError):
        pass
    raise BadParameterError(
        "after must be the token of a next link (a keyset position), as given", param="after"
    )


def years_of(
    when: tuple[np.datetime64 | None, np.datetime64 | None] | None,
) -> tuple[int | None, int | None] | None:
    """The establishment years a ``datetime`` interval overlaps (a year spans all of it)."""
    if when is None:
        return None

    def year(t: np.datetime64 | None) -> int | None:
        return None if t is None else int(t.astype("datetime64[Y]").astype(int)) + 1970

    return year(when[0]), year(when[1])


def check_supported(*, cql: str | None, after: str | None, offset: int, max_offset: int) -> None:
    """400 for what direct mode does not answer (a CQL2 filter, a too deep ``offset``)."""
    if cql is not None:
        raise BadParameterError(
            "filter (CQL2) is not available on this server: the registry is too large to "
            "load (direct mode) and CQL2 is not translated to SQL; use the query parameters "
            "(type, field, level, district, zone, q, established_max...), bbox and datetime "
            "/ 此服务器(直连模式)不支持 CQL2 filter,请用查询参数、bbox 与 datetime",
            param="filter",
        )
    if after is not None and offset:
        raise BadParameterError(
            "give after (a next link's token) or offset, not both", param="after"
        )
    if offset > max_offset:
        raise BadParameterError(
            f"offset above {max_offset} is not served in direct mode (a very large registry): "
            "follow the next links, whose keyset token reaches any depth at the same cost",
            param="offset",
        )


def page_features(
    data: ServiceData,
    flt: PlatformFilter,
    *,
    box: tuple[float, float, float, float] | None,
    when: tuple[np.datetime64 | None, np.datetime64 | None] | None,
    limit: int,
    offset: int,
    after: str | None,
    system: OutputSystem,
) -> tuple[list[bytes], int, str | None, int | None]:
    """One page: its Feature bytes, the position of its first item, the ``next`` token
    (``None`` on the last page) and ``numberMatched`` (``None`` when not exact and cheap)."""
    flt.check_zones(data.layers)
    after_id, position = decode_token(after) if after is not None else (None, offset)
    years = years_of(when)
    store = data.store
    records, more = sqlq.page(
        store,  # type: ignore[arg-type]
        sqlq.where(flt, bbox=box, years=years, after_id=after_id),
        limit=limit,
        offset=0 if after is not None else offset,
    )
    matched = sqlq.count(store, sqlq.where(flt, bbox=box, years=years))  # type: ignore[arg-type]
    rows = [_flat(row) for row in assign_many(records, data.city, data.layers)]
    columns = new_columns(data.columns, rows)
    integers = [n for n in record_integers() if n in columns]
    features = feature_bytes(rows, columns, system, integers)
    token = encode_token(records[-1].id, position + len(records)) if more and records else None
    return features, position, token, matched


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """A record dict as a frame row holds it (:func:`api.rows.flat_row`)."""
    for layer, zone in row.pop("zones").items():
        row[f"zone_{layer}"] = zone
    return row


def join(features: list[bytes], meta: dict[str, Any]) -> bytes:
    """A FeatureCollection of ``features`` and the members of ``meta``."""
    head = b'{"type":"FeatureCollection","features":['
    return head + b",".join(features) + b"]," + dumps(meta)[1:]
