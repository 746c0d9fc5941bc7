"""Queries the API's direct mode answers from: the registry in PostGIS, read per request.

A server whose PostGIS registry is larger than ``BIOMAP_SNAPSHOT_MAX_ROWS`` does not load it
(see :mod:`api.direct`); it pages, filters and counts here, in SQL:

- :func:`where` turns a :class:`~geo.filters.PlatformFilter`, a bounding box and a year span
  into a WHERE clause on the stored record (``record->>'type' = ANY(...)``...) and the point
  (``geom && envelope AND ST_Intersects``, which the GiST index answers);
- :func:`page` returns the records of one page in id order, after a keyset id (``id > %s``
  walks the primary key: a deep page costs what the first does) or after an ``OFFSET``;
- :func:`count` is exact below :data:`geo.store.postgis.EXACT_COUNT_BELOW` (planner estimate
  first, from ``EXPLAIN``), else ``None``;
- :func:`zone_counts` groups the matching records by their stored zone (``GROUP BY``).

Filters compare the *stored* assignment (``district_adcode``, ``managing_adcode``, ``zones``),
which every write sets with :func:`geo.zones.assign.assign_record`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from geo.filters import PlatformFilter
from geo.store.postgis import EXACT_COUNT_BELOW, PostGISStore, _check_bbox
from geo.store.schema import PlatformRecord

#: ``PlatformFilter`` attribute -> the record's text field it matches (any of the values).
_SCALARS = {
    "type": "type",
    "sub_kind": "sub_kind",
    "level": "level",
    "supporting_unit": "supporting_unit",
    "district": "district_adcode",
    "managing": "managing_adcode",
}
#: ``PlatformFilter`` attribute -> the record's list field it matches (shares a value).
_LISTS = {"field": "fields", "stage": "chain_stages"}
_TEXT = ("name_zh", "name_en", "host_zh", "host_en", "address_zh")
_YEAR = sql.SQL(
    "(CASE WHEN jsonb_typeof(record->'established') = 'number'"
    " THEN (record->>'established')::numeric END)"
)


def where(
    flt: PlatformFilter,
    *,
    bbox: Sequence[float] | None = None,
    years: tuple[int | None, int | None] | None = None,
    after_id: str | None = None,
) -> tuple[sql.Composable, list[Any]]:
    """The WHERE clause (``sql.SQL("")`` when empty) and its parameters.

    ``years`` keeps records established in ``first..last`` (open where ``None``; an unknown
    year never matches); ``established_max`` of the filter keeps unknown years, as the
    snapshot's :meth:`PlatformFilter.mask` does.
    """
    parts: list[sql.Composable] = []
    params: list[Any] = []
    _filter_parts(flt, parts, params)
    if years is not None:
        _year_parts(years, parts, params)
    if bbox is not None:
        parts.append(
            sql.SQL(
                "geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
                " AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))"
            )
        )
        box = list(_check_bbox(bbox))
        params.extend(box + box)
    if after_id is not None:
        parts.append(sql.SQL("id > %s"))
        params.append(after_id)
    if not parts:
        return sql.SQL(""), params
    return sql.SQL("WHERE ") + sql.SQL(" AND ").join(parts), params


def _filter_parts(flt: PlatformFilter, parts: list[sql.Composable], params: list[Any]) -> None:
    """The conditions of ``flt``, as :meth:`PlatformFilter.mask` applies them."""
    for attr, name in _SCALARS.items():
        wanted = getattr(flt, attr)
        if wanted:
            parts.append(sql.SQL("record->>{} = ANY(%s)").format(sql.Literal(name)))
            params.append(list(wanted))
    for attr, name in _LISTS.items():
        wanted = getattr(flt, attr)
        if wanted:
            parts.append(
                sql.SQL("jsonb_typeof(record->{n}) = 'array' AND record->{n} ?| %s").format(
                    n=sql.Literal(name)
                )
            )
            params.append(list(wanted))
    if flt.zone:
        parts.append(_zones(flt.zone, params))
    if flt.established_max is not None:
        parts.append(sql.SQL("({y} IS NULL OR {y} <= %s)").format(y=_YEAR))
        params.append(flt.established_max)
    if flt.q:
        text = sql.SQL(" || chr(10) || ").join(
            sql.SQL("coalesce(record->>{}, '')").format(sql.Literal(c)) for c in _TEXT
        )
        parts.append(sql.SQL("strpos(lower({}), %s) > 0").format(text))
        params.append(flt.q.lower())


def _year_parts(
    years: tuple[int | None, int | None], parts: list[sql.Composable], params: list[Any]
) -> None:
    first, last = years
    parts.append(sql.SQL("{} IS NOT NULL").format(_YEAR))
    if first is not None:
        parts.append(sql.SQL("{} >= %s").format(_YEAR))
        params.append(first)
    if last is not None:
        parts.append(sql.SQL("{} <= %s").format(_YEAR))
        params.append(last)


def _zones(specs: Sequence[str], params: list[Any]) -> sql.Composable:
    """Any of ``LAYER:ZONE_ID`` / bare ``ZONE_ID`` (every stored zone but the district)."""
    alts: list[sql.Composable] = []
    for spec in specs:
        if ":" in spec:
            layer, zone_id = spec.split(":", 1)
            if layer == "districts":
                alts.append(sql.SQL("record->>'district_adcode' = %s"))
            else:
                alts.append(sql.SQL("record->'zones'->>{} = %s").format(sql.Literal(layer)))
        else:
            zone_id = spec
            alts.append(
                sql.SQL(
                    "EXISTS (SELECT 1 FROM jsonb_each_text(CASE WHEN jsonb_typeof("
                    "record->'zones') = 'object' THEN record->'zones' ELSE '{}'::jsonb END)"
                    " z WHERE z.value = %s)"
                )
            )
        params.append(zone_id)
    return sql.SQL("(") + sql.SQL(" OR ").join(alts) + sql.SQL(")")


def page(
    store: PostGISStore,
    clause: tuple[sql.Composable, list[Any]],
    *,
    limit: int,
    offset: int = 0,
) -> tuple[list[PlatformRecord], bool]:
    """Up to ``limit`` records matching ``clause`` in id order (after ``offset`` of them), and
    whether more follow."""
    cond, params = clause
    query = sql.SQL("SELECT record FROM platforms {} ORDER BY id LIMIT %s OFFSET %s").format(cond)
    with store._cursor() as cur:
        cur.execute(query, [*params, limit + 1, offset])
        rows = cur.fetchall()
    records = [PlatformRecord.model_validate(r) for (r,) in rows[:limit]]
    return records, len(rows) > limit


def count(
    store: PostGISStore,
    clause: tuple[sql.Composable, list[Any]],
    *,
    exact_below: int = EXACT_COUNT_BELOW,
) -> int | None:
    """How many records match: exact when the planner expects fewer than ``exact_below``
    (then counted), else ``None`` (a full count of a large table is not worth a page)."""
    n, exact = store.count_where(*clause, exact_below=exact_below)
    return n if exact else None


def zone_counts(
    store: PostGISStore,
    clause: tuple[sql.Composable, list[Any]],
    zone_field: str,
) -> tuple[dict[str, int], int]:
    """Matching records per stored zone, and how many match in all.

    ``zone_field`` is ``district_adcode`` or ``managing_adcode`` (a top-level field) or
    ``zones.LAYER`` (the record's zone in that layer); records with no zone are not keyed.
    """
    if zone_field.startswith("zones."):
        key = sql.SQL("record->'zones'->>{}").format(sql.Literal(zone_field.removeprefix("zones.")))
    else:
        key = sql.SQL("record->>{}").format(sql.Literal(zone_field))
    cond, params = clause
    query = sql.SQL("SELECT {} AS zone, count(*) FROM platforms {} GROUP BY 1").format(key, cond)
    with store._cursor() as cur:
        cur.execute(query, params)
        rows = cur.fetchall()
    counts = {str(zone): int(n) for zone, n in rows if zone is not None}
    return counts, sum(int(n) for _, n in rows)


def extent(store: PostGISStore) -> list[float] | None:
    """The points' bounding box ``[min_lon, min_lat, max_lon, max_lat]`` (one scan of the
    points, at start-up), ``None`` for an empty table."""
    with store._cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
            " FROM (SELECT ST_Extent(geom) AS e FROM platforms) s"
        )
        row = cur.fetchone()
    return None if row is None or row[0] is None else [float(v) for v in row]
