"""Ingest platform lists (CSV, XLSX, GeoJSON) into the registry, with a report of every row.

Each row is read with a documented column mapping (Chinese or English headers, overridable),
geocoded (:mod:`geo.geocoding.geocoder`), validated against the registry schema, checked for district
consistency and duplicates, and assigned to districts and zones. Rows that pass are merged into
the registry by ``id`` (or, with ``replace=True``, become the whole registry); rows that fail are
reported with the reason and never disturb rows that passed. The input file is only read. The
registry is written atomically, sorted by ``id`` and without timestamps, so running the same
input twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.errors import DataFileError
from geo.geocoding.geocoder import Geocoder, GeocodeResult
from geo.ingest.text import normalise_text_fields
from geo.ingest.xlsx import FIX, UNCACHED, read_xlsx
from geo.store import (
    PlatformRecord,
    PlatformStore,
    frame_to_records,
    opened_store,
    records_to_frame,
    validate_records,
)
from geo.tabular import to_csv
from geo.taxonomy import VOCABULARIES
from geo.zones import ZoneLayer
from geo.zones.assign import assign_platforms

if TYPE_CHECKING:
    from geo.cities import City

#: Accepted header spellings -> registry field. Matching ignores case, spaces and punctuation.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "平台编号"),
    "name_zh": ("name_zh", "name", "平台名称", "名称", "中文名称"),
    "name_en": ("name_en", "英文名称", "english name"),
    "host_zh": ("host_zh", "host", "依托单位", "主办单位", "承建单位"),
    "host_en": ("host_en", "依托单位英文", "host (en)"),
    "type": ("type", "平台类型", "类型"),
    "sub_kind": ("sub_kind", "subkind", "子类", "细分类型", "平台子类"),
    "fields": ("fields", "field", "专业领域", "领域"),
    "supporting_unit": ("supporting_unit", "依托单位类型", "支撑单位类型"),
    "level": ("level", "级别", "平台级别"),
    "chain_stages": ("chain_stages", "stages", "服务链环节", "创新链环节"),
    "address_zh": ("address_zh", "address", "地址", "详细地址"),
    "district_zh": ("district_zh", "district", "所在区", "行政区"),
    "established": ("established", "成立年份", "建立年份", "year"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "coord_crs": ("coord_crs", "crs", "坐标系"),
    "source": ("source", "来源", "数据来源"),
    "source_date": ("source_date", "来源日期", "date"),
    "verification": ("verification", "核实状态"),
    "note": ("note", "notes", "备注"),
    "district_override": ("district_override", "区划说明"),
}
LIST_SPLIT = re.compile(r"[|,;、，；/]+")
_ENUMS = {
    "type": "type",
    "sub_kind": "sub_kind",
    "supporting_unit": "supporting_unit",
    "level": "level",
    "verification": "verification",
}
_LISTS = {"fields": "fields", "chain_stages": "chain_stages"}
ACCEPTED, WARNED, REJECTED = "accepted", "accepted with warnings", "rejected"


@dataclass
class RowOutcome:
    """What happened to one input row."""

    row: int
    id: str | None
    name: str | None
    status: str
    reasons: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """Every row's outcome plus what changed in the registry."""

    source: str
    rows: list[RowOutcome] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: int = 0

    def counts(self) -> dict[str, int]:
        """Rows per status."""
        out = {ACCEPTED: 0, WARNED: 0, REJECTED: 0}
        for r in self.rows:
            out[r.status] += 1
        return out

    def summary(self) -> str:
        """One paragraph for people."""
        c = self.counts()
        return (
            f"{len(self.rows)} rows from {self.source}: {c[ACCEPTED]} accepted, {c[WARNED]} "
            f"accepted with warnings, {c[REJECTED]} rejected. Registry: {len(self.added)} added, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, {self.kept} other "
            "records kept."
        )

    def to_markdown(self) -> str:
        """The full per-row report as Markdown."""
        lines = [
            f"# Ingest report: {self.source}",
            "",
            self.summary(),
            "",
            "| row | id | name | status | reasons |",
            "|---|---|---|---|---|",
        ]
        for r in self.rows:
            reasons = "<br>".join(_md(x) for x in r.reasons) or "-"
            lines.append(
                f"| {r.row} | {_md(r.id or '')} | {_md(r.name or '')} | {r.status} | {reasons} |"
            )
        return "\n".join(lines) + "\n"

    def to_frame(self) -> pd.DataFrame:
        """The per-row report as a table (row, id, name, status, reasons)."""
        return pd.DataFrame(
            [
                {
                    "row": r.row,
                    "id": r.id,
                    "name": r.name,
                    "status": r.status,
                    "reasons": " | ".join(r.reasons),
                }
                for r in self.rows
            ]
        )

    def to_csv(self) -> str:
        """The per-row report as CSV, text that a spreadsheet would run as a formula escaped."""
        return to_csv(self.to_frame())


def _md(text: str) -> str:
    return (
        str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")
    )


def _key(header: str) -> str:
    return re.sub(r"[\s_\-()（）]+", "", str(header)).lower()


def map_columns(columns: list[str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map input headers to registry fields; ``overrides`` maps input header -> field."""
    lookup = {_key(a): f for f, aliases in COLUMN_ALIASES.items() for a in aliases}
    mapping: dict[str, str] = {}
    for col in columns:
        target = (overrides or {}).get(col) or lookup.get(_key(col))
        if target and target not in mapping.values():
            mapping[col] = target
    return mapping


def read_table(path: Path | str, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read CSV, XLSX or GeoJSON rows as strings; the file is never modified.

    XLSX formula cells read as their saved values; those saved without one are listed in
    ``attrs[geo.ingest.xlsx.UNCACHED]``, and :func:`ingest_rows` rejects their rows.

    Raises
    ------
    geo.errors.DataFileError
        If the file is missing, unreadable, of an unknown type, or the sheet does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"no such file: {str(path)!r}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if suffix in (".xlsx", ".xlsm"):
            return read_xlsx(path, sheet)
        if suffix in (".geojson", ".json"):
            return _read_geojson(path)
    except DataFileError:
        raise
    except Exception as exc:
        raise DataFileError(f"cannot read {str(path)!r}: {exc}") from exc
    raise DataFileError(f"unknown file type {suffix!r}; use .csv, .xlsx or .geojson")


def _read_geojson(path: Path) -> pd.DataFrame:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("type") != "FeatureCollection":
        raise DataFileError(f"{path.name} is not a GeoJSON FeatureCollection")
    rows = []
    for feat in data.get("features", []):
        row = {k: _cell(v) for k, v in (feat.get("properties") or {}).items()}
        geom = feat.get("geometry") or {}
        if geom.get("type") == "Point":
            row["lon"], row["lat"] = (str(c) for c in geom["coordinates"][:2])
            row.setdefault("coord_crs", "wgs84")  # RFC 7946: GeoJSON is WGS84
        rows.append(row)
    return pd.DataFrame(rows).fillna("")


def _cell(value: Any) -> str:
    """A GeoJSON property as a table cell: lists joined with ``|``, objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _enum_lookup(vocab: str) -> dict[str, str]:
    out = {}
    for code, (zh, en) in VOCABULARIES[vocab].items():
        for name in (code, zh, en):
            out[_key(name)] = code
    return out


_LOOKUPS = {v: _enum_lookup(v) for v in {*_ENUMS.values(), *_LISTS.values()}}


def _clean(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _parse_row(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    rec: dict[str, Any] = {k: _clean(v) for k, v in raw.items()}
    spaced = normalise_text_fields(rec)
    if spaced:
        problems.append(spaced)
    for column, vocab in _ENUMS.items():
        if rec.get(column):
            code = _LOOKUPS[vocab].get(_key(rec[column]))
            if code is None:
                problems.append(f"unknown {column} {rec[column]!r}")
            rec[column] = code or rec[column]
    for column, vocab in _LISTS.items():
        items = [i for i in LIST_SPLIT.split(rec.get(column) or "") if i.strip()]
        codes = []
        for item in items:
            code = _LOOKUPS[vocab].get(_key(item))
            if code is None:
                problems.append(f"unknown {column} value {item.strip()!r}")
            else:
                codes.append(code)
        rec[column] = codes
    if rec.get("established"):
        try:
            rec["established"] = int(float(rec["established"]))
        except ValueError:
            problems.append(f"established {rec['established']!r} is not a year")
            rec["established"] = None
    return rec


def _stable_id(name: str, host: str | None) -> str:
    digest = hashlib.sha1(f"{name}|{host or ''}".encode()).hexdigest()[:10]
    return f"gz-{digest}"


def finite(value: Any) -> float:
    """``value`` as a finite float (``NaN`` and infinities are no coordinates); ValueError if not."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _coords(rec: dict[str, Any], problems: list[str]) -> tuple[float | None, float | None]:
    lon, lat = rec.pop("lon", None), rec.pop("lat", None)
    if lon is None and lat is None:
        return None, None
    try:
        return finite(lon), finite(lat)
    except (TypeError, ValueError):
        problems.append(
            f"coordinates ({lon!r}, {lat!r}) are not numbers; geocoded the address instead"
        )
        return None, None


def _record_from(rec: dict[str, Any], geo: GeocodeResult) -> dict[str, Any]:
    notes = [n for n in (rec.pop("note", None), *geo.notes) if n]
    rec.pop("district_zh", None)
    rec.pop("coord_crs", None)
    rec.update(
        lon=geo.lon,
        lat=geo.lat,
        coord_source=geo.source,
        coord_crs_in=geo.coord_crs_in,
        coord_precision=geo.precision,
        coord_uncertainty_m=geo.uncertainty_m,
        note="; ".join(dict.fromkeys(notes)) or None,
    )
    rec.setdefault("source_date", None)
    return {k: v for k, v in rec.items() if v is not None and v != []}


def _district_problem(rec: dict[str, Any], geo: GeocodeResult, city: City) -> str | None:
    """The row's stated district must agree with its point (or carry an override)."""
    stated = city.unit_named_in(rec.get("district_zh") or "") or city.unit_named_in(
        rec.get("address_zh")
    )
    admin, lon, lat = geo.district_adcode, geo.lon, geo.lat
    if (
        not stated
        or admin is None
        or lon is None
        or lat is None
        or rec.get("district_override")
        or city.unit_agrees(stated, admin, lon, lat)
    ):
        return None
    return (
        f"the point lies in {city.unit_name(admin)} but the row names "
        f"{city.unit_name(stated)}: fix the address or coordinates (or their CRS), or give a "
        "district_override with the reason"
    )


def ingest_rows(
    table: pd.DataFrame,
    *,
    city: City,
    geocoder: Geocoder | None = None,
    columns: Mapping[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[PlatformRecord], list[RowOutcome]]:
    """Turn input rows into valid records; return them and an outcome for every row.

    ``geocoder`` defaults to an offline :class:`Geocoder` of ``city``.
    """
    geocoder = geocoder or Geocoder(city)
    mapping = map_columns(list(table.columns), columns)
    outcomes: list[RowOutcome] = []
    accepted: list[PlatformRecord] = []
    seen: dict[tuple, int] = {}
    unreadable = _uncached_cells(table, mapping)
    for i, raw in enumerate(
        table.rename(columns=mapping)[list(mapping.values())].to_dict("records")
    ):
        row_no = i + 2  # 1-based, after the header line
        if i in unreadable:
            outcome = RowOutcome(
                row_no, _clean(raw.get("id")), _clean(raw.get("name_zh")), REJECTED
            )
            outcome.reasons, record = unreadable[i], None
        else:
            outcome, record = _ingest_one(raw, row_no, geocoder, seen, city)
        outcomes.append(outcome)
        if record is not None:
            accepted.append(record)
        if progress:
            progress(1)
    return accepted, outcomes


def _uncached_cells(table: pd.DataFrame, mapping: Mapping[str, str]) -> dict[int, list[str]]:
    """Per row, the reasons its mapped formula cells without a saved value reject it (XLSX)."""
    out: dict[int, list[str]] = {}
    for (row, header), cell in table.attrs.get(UNCACHED, {}).items():
        if header in mapping:
            out.setdefault(row, []).append(
                f"cell {cell} ({mapping[header]}) is a formula with no saved value; {FIX}"
            )
    return out


def _ingest_one(
    raw: dict[str, Any], row_no: int, geocoder: Geocoder, seen: dict[tuple, int], city: City
) -> tuple[RowOutcome, PlatformRecord | None]:
    problems: list[str] = []
    rec = _parse_row(raw, problems)
    name = rec.get("name_zh")
    outcome = RowOutcome(row_no, rec.get("id"), name, REJECTED)
    if not name:
        outcome.reasons = ["no name (name_zh / 平台名称) in this row", *problems]
        return outcome, None
    rec["id"] = rec.get("id") or _stable_id(name, rec.get("host_zh"))
    outcome.id = rec["id"]
    lon, lat = _coords(rec, problems)
    geo = geocoder.geocode(
        rec.get("address_zh"),
        name=name,
        host=rec.get("host_zh"),
        lon=lon,
        lat=lat,
        crs=rec.get("coord_crs"),
    )
    if not geo.resolved:
        outcome.reasons = [*problems, *(geo.notes or ["could not be geocoded"])]
        return outcome, None
    district_problem = _district_problem(rec, geo, city)
    if district_problem:
        outcome.reasons = [*problems, district_problem, *geo.notes]
        return outcome, None
    valid, errors = validate_records([_record_from(rec, geo)])
    if errors or (problems and any(p.startswith("unknown") for p in problems)):
        outcome.reasons = [*problems, *(e.split(": ", 1)[-1] for e in errors)]
        return outcome, None
    record = valid[0]
    dup = _duplicate(record, seen, row_no)
    if dup:
        outcome.reasons = [dup]
        return outcome, None
    warnings = [*problems, *geo.notes]
    if geo.precision == "district":
        warnings.append("only a district-level point: add a street, campus or landmark")
    outcome.status = WARNED if warnings else ACCEPTED
    outcome.reasons = list(dict.fromkeys(warnings))
    return outcome, record


def _duplicate(record: PlatformRecord, seen: dict[tuple, int], row_no: int) -> str | None:
    keys = [
        ("id", record.id),
        ("name+host", record.name_zh, record.host_zh or ""),
        ("point+name", round(record.lon, 6), round(record.lat, 6), record.name_zh),
    ]
    for key in keys:
        if key in seen:
            return f"duplicate of row {seen[key]} (same {key[0]})"
    for key in keys:
        seen[key] = row_no
    return None


def ingest_file(
    path: Path | str,
    store: PlatformStore | Path | str | None = None,
    *,
    city: City,
    replace: bool = False,
    sheet: str | int | None = None,
    columns: Mapping[str, str] | None = None,
    layers: Mapping[str, ZoneLayer] | None = None,
    geocoder: Geocoder | None = None,
    progress: Callable[[int], None] | None = None,
    dry_run: bool = False,
    actor: str = "ingest",
) -> IngestReport:
    """Ingest one file into a registry store and return the report.

    Parameters
    ----------
    path
        CSV, XLSX or GeoJSON input (read only).
    store
        The store to update (:func:`geo.store.open_store`: a GeoJSON path, created if missing;
        the shipped registry for ``None``).
    city
        The city the platforms are in (geocoding, district checks, assignment).
    replace
        Make the registry exactly the accepted rows (how the shipped registry is built);
        otherwise accepted rows are merged into it by ``id`` and other records are kept.
    dry_run
        Do everything but write.
    actor
        Who is recorded in the history for the changes (``ingest`` by default).

    Raises
    ------
    geo.errors.DataFileError
        When the input cannot be read (the registry is left untouched).
    """
    table = read_table(path, sheet=sheet)
    report = IngestReport(source=str(path))
    records, report.rows = ingest_rows(
        table, city=city, geocoder=geocoder, columns=columns, progress=progress
    )
    # From reading the registry to replacing it, no other writer can interleave.
    with opened_store(store) as target, nullcontext() if dry_run else target.locked():
        _merge_into(
            target,
            records,
            report,
            city=city,
            layers=layers,
            replace=replace,
            dry_run=dry_run,
            actor=actor,
        )
    return report


def _merge_into(
    target: PlatformStore,
    records: list[PlatformRecord],
    report: IngestReport,
    *,
    city: City,
    layers: Mapping[str, ZoneLayer] | None,
    replace: bool,
    dry_run: bool,
    actor: str,
) -> None:
    before = {r.id: r for r in target.load()} if target.exists() else {}
    existing = {} if replace else before
    records = _drop_duplicates_of_existing(records, existing, report)
    if records:
        frame, _ = assign_platforms(records_to_frame(records), city, layers)
        records, problems = validate_records(frame_to_records(frame))
        if problems:  # cannot happen after validation above; never write a bad registry
            raise DataFileError("assignment produced invalid records: " + "; ".join(problems[:5]))
    merged = dict(existing)
    for rec in records:
        old = before.get(rec.id)
        if old is None:
            report.added.append(rec.id)
        elif old == rec:
            report.unchanged.append(rec.id)
        else:
            report.updated.append(rec.id)
        merged[rec.id] = rec
    report.kept = len(set(existing) - {r.id for r in records})
    changed = report.added or report.updated or (replace and set(before) != set(merged))
    if not dry_run and (changed or not target.exists()):
        target.save([merged[k] for k in sorted(merged)], actor=actor)


def _drop_duplicates_of_existing(
    records: list[PlatformRecord], existing: dict[str, PlatformRecord], report: IngestReport
) -> list[PlatformRecord]:
    by_name = {(r.name_zh, r.host_zh or ""): r.id for r in existing.values()}
    keep = []
    outcome_by_id = {o.id: o for o in report.rows if o.status != REJECTED}
    for rec in records:
        other = by_name.get((rec.name_zh, rec.host_zh or ""))
        if other and other != rec.id:
            o = outcome_by_id[rec.id]
            o.status, o.reasons = (
                REJECTED,
                [f"duplicate of registry record {other!r} (same name and host)"],
            )
            continue
        keep.append(rec)
    return keep
