"""Ingest: formats, column mapping, every bad-input case, idempotency, reproducibility."""

import json
import re
import shutil
import zipfile

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import get_column_letter

from geo import DATA_DIR
from geo.cities import open_city
from geo.crs import from_wgs84
from geo.errors import DataFileError
from geo.ingest import pipeline
from geo.ingest.pipeline import ACCEPTED, REJECTED, WARNED, map_columns, read_table
from geo.store import DEFAULT_REGISTRY, GeoJSONStore, open_store

CITY = open_city()


def ingest_file(path, store, **kwargs):
    """The pipeline on Guangzhou, the shipped default city."""
    return pipeline.ingest_file(path, store, city=CITY, **kwargs)


BASE = {
    "name_zh": "测试检测平台",
    "host_zh": "测试公司",
    "type": "public_technology",
    "sub_kind": "testing",
    "fields": "drug_rnd",
    "supporting_unit": "enterprise",
    "level": "municipal",
    "address_zh": "广州市越秀区中山二路 中山大学附属第一医院",
    "source": "test",
    "source_date": "2026-11-27",
    "verification": "unverified",
}


def rows_csv(tmp_path, rows, name="in.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def run(tmp_path, rows, **kw):
    path = rows_csv(tmp_path, rows)
    registry = tmp_path / "registry.geojson"
    return ingest_file(path, registry, **kw), registry


def statuses(report):
    return [r.status for r in report.rows]


def test_shipped_registry_is_reproducible_from_its_source(tmp_path):
    out = tmp_path / "p.geojson"
    report = ingest_file(DATA_DIR / "sources" / "platforms.csv", out, replace=True)
    assert REJECTED not in statuses(report)
    # the shipped file carries no history, so not the length of one (the store's own member)
    written = re.sub(rb'"biomap:history_bytes": \d+, ', b"", out.read_bytes(), count=1)
    assert written == DEFAULT_REGISTRY.read_bytes()


def test_shipped_registry_covers_the_taxonomy():
    records = open_store().load()
    assert len(records) >= 120
    assert {r.type for r in records} == {
        "basic_condition",
        "public_technology",
        "transformation_cluster",
    }
    fields = {f for r in records for f in r.fields}
    assert {
        "drug_rnd",
        "biotechnology",
        "medical_research",
        "experimental_animals",
        "instruments_software",
        "agriculture",
        "other",
    } <= fields
    assert all(r.district_adcode for r in records)


def test_a_good_row(tmp_path):
    report, registry = run(tmp_path, [BASE])
    assert statuses(report) == [ACCEPTED]
    rec = GeoJSONStore(registry).load()[0]
    assert rec.district_adcode == "440104"
    assert rec.coord_precision == "campus"
    assert rec.coord_source.startswith("gazetteer:")
    assert rec.id.startswith("gz-")


def test_chinese_headers_and_labels(tmp_path):
    row = {
        "平台名称": "中文表头平台",
        "依托单位": "某大学",
        "平台类型": "基础条件服务平台",
        "子类": "仪器设备共享",
        "专业领域": "生物技术、医学研究",
        "依托单位类型": "高校",
        "级别": "省级",
        "地址": "广州市番禺区大学城",
        "来源": "test",
        "来源日期": "2026",
        "核实状态": "未核实",
    }
    report, registry = run(tmp_path, [row])
    assert statuses(report) == [ACCEPTED], report.rows[0].reasons
    rec = GeoJSONStore(registry).load()[0]
    assert (rec.type, rec.sub_kind, rec.level) == (
        "basic_condition",
        "instrument_sharing",
        "provincial",
    )
    assert rec.fields == ["biotechnology", "medical_research"]


def test_column_override():
    assert map_columns(["机构"], {"机构": "host_zh"}) == {"机构": "host_zh"}


def test_bad_rows_are_rejected_with_reasons_and_good_rows_survive(tmp_path):
    gx, gy = (float(v) for v in from_wgs84(113.2915, 23.1305, "gcj02"))
    rows = [
        BASE,
        {**BASE, "name_zh": "空地址", "host_zh": "x", "address_zh": "   "},
        {**BASE, "name_zh": "外地", "host_zh": "x", "address_zh": "深圳市南山区科技园"},
        {**BASE, "name_zh": "坏类型", "host_zh": "x", "type": "laboratory"},
        {**BASE, "name_zh": "坏领域", "host_zh": "x", "fields": "alchemy"},
        {**BASE},  # duplicate of row 2
        {**BASE, "name_zh": "", "host_zh": "x"},
        {
            **BASE,
            "name_zh": "城外坐标",
            "host_zh": "x",
            "lon": "116.4",
            "lat": "39.9",
            "coord_crs": "wgs84",
        },
        {**BASE, "name_zh": "<script>alert(1)</script>", "host_zh": "y"},
        {**BASE, "name_zh": "全角", "host_zh": "z", "address_zh": "广州市天河区五山路３８１号"},
        {
            **BASE,
            "name_zh": "对调坐标",
            "host_zh": "w",
            "lon": "23.1305",
            "lat": "113.2915",
            "coord_crs": "wgs84",
            "address_zh": "广州市越秀区",
        },
        {
            **BASE,
            "name_zh": "高德坐标",
            "host_zh": "v",
            "lon": str(gx),
            "lat": str(gy),
            "coord_crs": "gcj02",
            "address_zh": "广州市越秀区",
        },
    ]
    report, registry = run(tmp_path, rows)
    by_name = {r.name: r for r in report.rows}
    assert report.rows[0].status == ACCEPTED
    for name, reason in [
        ("空地址", "empty address"),
        ("外地", "outside Guangzhou"),
        ("坏类型", "unknown type"),
        ("坏领域", "unknown fields"),
        ("城外坐标", "outside Guangzhou"),
    ]:
        assert by_name[name].status == REJECTED, name
        assert reason in " ".join(by_name[name].reasons), (name, by_name[name].reasons)
    assert report.rows[5].status == REJECTED
    assert "duplicate of row 2" in report.rows[5].reasons[0]
    assert report.rows[6].status == REJECTED
    assert "no name" in report.rows[6].reasons[0]
    assert by_name["<script>alert(1)</script>"].status == ACCEPTED
    assert by_name["全角"].status == ACCEPTED
    assert by_name["对调坐标"].status == WARNED
    assert "swapped" in " ".join(by_name["对调坐标"].reasons)
    names = {r.name_zh for r in GeoJSONStore(registry).load()}
    assert names == {"测试检测平台", "<script>alert(1)</script>", "全角", "对调坐标", "高德坐标"}
    gcj = next(r for r in GeoJSONStore(registry).load() if r.name_zh == "高德坐标")
    assert (gcj.coord_crs_in, gcj.coord_precision) == ("gcj02", "exact")
    assert gcj.lon == pytest.approx(113.2915, abs=1e-6)


def test_gcj02_declared_as_wgs84_is_rejected_with_the_fix(tmp_path):
    districts = CITY.unit_names
    from tests.geocoding.test_geocode import _border_point_that_moves

    _, _, gx, gy, district = _border_point_that_moves()
    row = {
        **BASE,
        "address_zh": f"广州市{districts[district][0]}",
        "lon": gx,
        "lat": gy,
        "coord_crs": "wgs84",
    }
    report, _ = run(tmp_path, [row])
    assert statuses(report) == [REJECTED]
    assert "gcj02" in " ".join(report.rows[0].reasons)


def test_nan_and_empty_cells(tmp_path):
    row = {**BASE, "name_en": float("nan"), "established": "", "level": None}
    report, registry = run(tmp_path, [row])
    assert statuses(report) == [ACCEPTED]
    assert GeoJSONStore(registry).load()[0].level == "none"


def test_idempotent_and_input_untouched(tmp_path):
    path = rows_csv(tmp_path, [BASE, {**BASE, "name_zh": "第二", "host_zh": "b"}])
    before = path.read_bytes()
    registry = tmp_path / "r.geojson"
    first = ingest_file(path, registry)
    data1 = registry.read_bytes()
    second = ingest_file(path, registry)
    assert registry.read_bytes() == data1
    assert (len(first.added), len(second.added), len(second.unchanged)) == (2, 0, 2)
    assert path.read_bytes() == before


def test_merge_keeps_other_records_and_rejects_duplicates_of_them(tmp_path):
    registry = tmp_path / "r.geojson"
    shutil.copy(DEFAULT_REGISTRY, registry)
    n = len(GeoJSONStore(registry).load())
    existing = GeoJSONStore(registry).load()[0]
    rows = [BASE, {**BASE, "name_zh": existing.name_zh, "host_zh": existing.host_zh or ""}]
    report = ingest_file(rows_csv(tmp_path, rows), registry)
    assert statuses(report) == [ACCEPTED, REJECTED]
    assert "duplicate of registry record" in report.rows[1].reasons[0]
    assert len(GeoJSONStore(registry).load()) == n + 1


def test_xlsx_and_wrong_sheet(tmp_path):
    path = tmp_path / "in.xlsx"
    pd.DataFrame([BASE]).to_excel(path, sheet_name="平台", index=False)
    report = ingest_file(path, tmp_path / "r.geojson", sheet="平台")
    assert statuses(report) == [ACCEPTED]
    with pytest.raises(DataFileError, match="no sheet 'Sheet9'"):
        ingest_file(path, tmp_path / "r2.geojson", sheet="Sheet9")


def test_geojson_input_with_points(tmp_path):
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [113.2915, 23.1305]},
                "properties": {**BASE, "fields": ["drug_rnd"]},
            }
        ],
    }
    path = tmp_path / "in.geojson"
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    report = ingest_file(path, tmp_path / "r.geojson")
    assert statuses(report) == [ACCEPTED], report.rows[0].reasons
    rec = GeoJSONStore(tmp_path / "r.geojson").load()[0]
    assert rec.coord_source == "supplied:wgs84"


@pytest.mark.parametrize(
    ("name", "content"), [("x.csv", None), ("x.pdf", b"%PDF"), ("x.xlsx", b"not a zip")]
)
def test_unreadable_files(tmp_path, name, content):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataFileError):
        read_table(path)


def test_failed_run_leaves_registry_untouched(tmp_path):
    registry = tmp_path / "r.geojson"
    shutil.copy(DEFAULT_REGISTRY, registry)
    before = registry.read_bytes()
    with pytest.raises(DataFileError):
        ingest_file(tmp_path / "missing.csv", registry)
    assert registry.read_bytes() == before


def test_report_formats(tmp_path):
    report, _ = run(tmp_path, [BASE, {**BASE, "name_zh": "坏|类型", "type": "x"}])
    md = report.to_markdown()
    assert "坏\\|类型" in md
    assert "rejected" in md
    assert list(report.to_frame().columns) == ["row", "id", "name", "status", "reasons"]


def test_registry_counts_are_computed_from_the_data():
    """The README's counts and the source CSV agree with the shipped registry (no fixed numbers)."""
    import collections

    records = open_store().load()
    source = pd.read_csv(DATA_DIR / "sources" / "platforms.csv", dtype=str)
    assert len(records) == len(source)
    counts = collections.Counter(r.verification for r in records)
    assert counts == collections.Counter(source["verification"])
    assert sum(n for v, n in counts.items() if v != "unverified") >= 100  # issue 15's target
    # every sourced record names a source that is not only general knowledge
    for r in records:
        if r.verification != "unverified":
            assert "http" in r.source, r.id
    # a platform in every district but Conghua (no source found there yet)
    assert {r.district_adcode for r in records} >= set(open_city().unit_names) - {"440117"}


def write_xlsx(path, rows, saved=None):
    """An XLSX written by openpyxl, whose formulas (cells starting with ``=``) have no saved value.

    ``saved`` gives cells (``"B3"``) the value a spreadsheet program would have saved with the
    formula: text is saved as a text result (``t="str"``), numbers as numbers. openpyxl cannot
    write saved values, so they are put into the sheet's XML here.
    """
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    if not saved:
        return path
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    xml = members[part].decode()
    for ref, value in saved.items():
        kind = ' t="str"' if isinstance(value, str) else ""
        xml, n = re.subn(
            rf'<c r="{ref}"([^>]*)>(<f>[^<]*</f>)<v\s*/>',
            rf'<c r="{ref}"\1{kind}>\2<v>{value}</v>',
            xml,
        )
        assert n == 1, ref
    members[part] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_xlsx_formulas_give_their_saved_values_and_rows_with_unsaved_ones_are_rejected(tmp_path):
    header = [*BASE, "lon", "lat", "coord_crs", "name_en", "memo"]

    def row(name, host, lon="", en="", memo=""):
        values = {**BASE, "name_zh": name, "host_zh": host, "name_en": en, "memo": memo}
        if lon:
            values |= {"lon": lon, "lat": "23.1305", "coord_crs": "wgs84"}
        return [values.get(h, "") for h in header]

    def cell(column, row_no):
        return f"{get_column_letter(header.index(column) + 1)}{row_no}"

    rows = [
        header,
        row("公式经度", "a", lon="=113.2915"),  # row 2: lon has no saved value
        row('=CONCAT("公式","名称")', "b"),  # row 3: nor has the name
        row('=CONCAT("已存","名称")', "c", lon="=113.2915"),  # row 4: both saved
        row("空文本", "d", en='=IF(TRUE,"","x")'),  # row 5: saved as empty text
        row("备注公式", "e", memo="=1+1"),  # row 6: in a column ingest does not read
    ]
    saved = {"A4": "已存名称", cell("lon", 4): 113.2915, cell("name_en", 5): ""}
    report = ingest_file(write_xlsx(tmp_path / "in.xlsx", rows, saved), tmp_path / "r.geojson")
    by_row = {r.row: r for r in report.rows}
    assert by_row[2].status == REJECTED
    assert by_row[2].reasons == [
        f"cell {cell('lon', 2)} (lon) is a formula with no saved value; open the file in a "
        "spreadsheet program, save it, and ingest again"
    ]
    assert by_row[3].status == REJECTED
    assert "cell A3 (name_zh) is a formula with no saved value" in by_row[3].reasons[0]
    assert [by_row[i].status for i in (4, 5, 6)] == [ACCEPTED] * 3, report.rows
    records = {r.host_zh: r for r in GeoJSONStore(tmp_path / "r.geojson").load()}
    assert (records["c"].name_zh, records["c"].coord_source) == ("已存名称", "supplied:wgs84")
    assert records["d"].name_en is None


def test_xlsx_header_formula_without_a_saved_value_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "in.xlsx", [["name_zh", '=CONCAT("addr","ess_zh")'], ["x", "y"]])
    with pytest.raises(
        DataFileError, match=r"header cell\(s\) B1 are formulas with no saved value"
    ):
        read_table(path)


def test_white_space_in_names_and_addresses_is_normalised_and_reported(tmp_path):
    rows = [
        {
            **BASE,
            "name_zh": "测试\t检测\n平台",
            "name_en": "Test  testing\r\nplatform",
            "host_zh": "测试\u3000\u3000公司",
            "address_zh": "广州市越秀区中山二路\u3000 中山大学附属第一医院",
        },
        {**BASE, "name_zh": " 两端空格 ", "host_zh": "b"},  # trimming alone is not noted
    ]
    report, registry = run(tmp_path, rows)
    assert statuses(report) == [WARNED, ACCEPTED], report.rows
    assert report.rows[0].reasons == [
        "white space normalised in name_zh, name_en, host_zh, address_zh: tabs, line breaks and "
        "runs of spaces (full-width too) became one space"
    ]
    by_host = {r.host_zh: r for r in GeoJSONStore(registry).load()}
    rec = by_host["测试 公司"]
    assert (rec.name_zh, rec.name_en) == ("测试 检测 平台", "Test testing platform")
    assert rec.address_zh == "广州市越秀区中山二路 中山大学附属第一医院"
    assert by_host["b"].name_zh == "两端空格"


@pytest.mark.parametrize(("lon", "lat"), [("113.2915", "NaN"), ("nan", "23.1305"), ("inf", "23.1")])
def test_coordinates_that_are_not_finite_numbers_are_warned_about(tmp_path, lon, lat):
    report, registry = run(tmp_path, [{**BASE, "lon": lon, "lat": lat, "coord_crs": "wgs84"}])
    assert statuses(report) == [WARNED]
    assert report.rows[0].reasons[0] == (
        f"coordinates ({lon!r}, {lat!r}) are not numbers; geocoded the address instead"
    )
    assert GeoJSONStore(registry).load()[0].coord_source.startswith("gazetteer:")
