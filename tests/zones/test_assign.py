"""Assignment: the edge rule, nested zones, CRS checks, agreement with sjoin, the real data."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.errors import CRSMismatchError, InvalidGeometryError
from geo.store import load_registry
from geo.zones.assign import assign_frame, assign_platforms, assign_points
from tests.conftest import make_layer


def test_point_on_shared_edge_gets_exactly_one_zone(two_squares):
    # A and B have equal area, so the lower zone_id wins on their shared edge x = 1.
    out = assign_points(np.array([1.0, 1.0]), np.array([0.5, 0.0]), {"t": two_squares})
    assert out["t"].tolist() == ["A", "A"]


def test_interior_outside_and_vertex(two_squares):
    out = assign_points(
        np.array([0.5, 1.5, 5.0, 2.0]), np.array([0.5, 0.5, 5.0, 1.0]), {"t": two_squares}
    )
    assert out["t"].tolist() == ["A", "B", None, "B"]


def test_smaller_zone_wins_on_an_unequal_edge():
    layer = make_layer({"big": shapely.box(0, 0, 2, 2), "small": shapely.box(2, 0, 3, 1)})
    out = assign_points(np.array([2.0]), np.array([0.5]), {"t": layer})
    assert out["t"].tolist() == ["small"]


def test_nested_zone_wins():
    layer = make_layer({"outer": shapely.box(0, 0, 10, 10), "inner": shapely.box(4, 4, 5, 5)})
    out = assign_points(np.array([4.5, 1.0]), np.array([4.5, 1.0]), {"t": layer})
    assert out["t"].tolist() == ["inner", "outer"]


def test_zone_without_geometry_receives_nothing(two_squares):
    out = assign_points(np.array([0.5]), np.array([0.5]), {"t": two_squares})
    assert "C" not in out["t"].tolist()


def test_empty_input(two_squares):
    out = assign_points(np.array([]), np.array([]), {"t": two_squares})
    assert len(out) == 0
    assert list(out.columns) == ["t"]


def test_nan_coordinates_get_no_zone(two_squares):
    out = assign_points(np.array([np.nan]), np.array([0.5]), {"t": two_squares})
    assert out["t"].tolist() == [None]


def test_missing_crs_raises_with_fix(two_squares):
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(0.5, 0.5)])
    with pytest.raises(CRSMismatchError, match="set_crs"):
        assign_frame(pts, {"t": two_squares})


def test_wrong_crs_names_both(two_squares):
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(0.5, 0.5)], crs=3857)
    with pytest.raises(CRSMismatchError, match=r"EPSG:3857.*EPSG:4326"):
        assign_frame(pts, {"t": two_squares})


def test_empty_or_non_point_geometry_raises(two_squares):
    pts = gpd.GeoDataFrame(
        geometry=[shapely.Point(0.5, 0.5), None, shapely.box(0, 0, 1, 1)], crs=4326
    )
    with pytest.raises(InvalidGeometryError, match="2 geometries"):
        assign_frame(pts, {"t": two_squares})


def test_matches_sjoin_within_on_real_districts(shipped_layers):
    rng = np.random.default_rng(7)
    x = rng.uniform(112.95, 114.06, 100_000)
    y = rng.uniform(22.56, 23.94, 100_000)
    ours = assign_points(x, y, {"d": shipped_layers["districts"]})["d"]
    pts = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=4326)
    zones = shipped_layers["districts"].zones[["zone_id", "geometry"]]
    joined = gpd.sjoin(pts, zones, predicate="within", how="left")
    joined = joined[~joined.index.duplicated()]
    assert (ours.fillna("-").to_numpy() == joined["zone_id"].fillna("-").to_numpy()).all()
    assert ours.notna().sum() > 40_000


def test_grid_and_exact_agree(shipped_layers):
    index = shipped_layers["districts"].index
    rng = np.random.default_rng(3)
    x = rng.uniform(113.1, 113.6, 50_000)
    y = rng.uniform(22.9, 23.3, 50_000)
    assert np.array_equal(index.lookup(x, y), index.exact(x, y))


def test_gcj02_points_misassigned_if_not_converted(shipped_layers):
    """The reason biomap converts on the way in: a few % of points change district."""
    from geo.crs import wgs84_to_gcj02

    rng = np.random.default_rng(11)
    x = rng.uniform(113.15, 113.55, 50_000)
    y = rng.uniform(22.95, 23.3, 50_000)
    layers = {"d": shipped_layers["districts"]}
    true = assign_points(x, y, layers)["d"]
    wrong = assign_points(*wgs84_to_gcj02(x, y), layers)["d"]
    share = (true.fillna("-") != wrong.fillna("-")).mean()
    assert 0.01 < share < 0.2


def test_registry_assignment_sets_managing_district_for_bio_island(city):
    platforms = load_registry()
    out, report = assign_platforms(platforms, city)
    bioland = out.set_index("id").loc["gz-bioland"]
    assert bioland["district_adcode"] == "440105"
    assert bioland["managing_adcode"] == "440112"
    assert report.outside_city == []
    assert "zone_zones363" in out


def test_outside_points_and_address_conflicts_are_reported(city):
    platforms = load_registry().head(2).copy()
    platforms.loc[platforms.index[0], "geometry"] = shapely.Point(116.4, 39.9)  # Beijing
    platforms.loc[platforms.index[1], "address_zh"] = "广州市天河区某路1号"
    _, report = assign_platforms(platforms, city)
    assert report.outside_city == [platforms["id"].iloc[0]]
    assert [c["id"] for c in report.conflicts] == [platforms["id"].iloc[1]]


def test_assign_record_equals_assign_platforms_on_one_row(city):
    """The one-row path (edits, snapshot updates) gives the frame path's fields exactly: every
    shipped record, the Bio-Island rule (managed by another district) and a point outside."""
    from geo.store import PlatformRecord, frame_to_records, open_store, records_to_frame
    from geo.zones.assign import assign_record

    layers = city.zone_layers()
    shipped = open_store().load()
    outside = shipped[0].model_copy(update={"id": "gz-outside", "lon": 100.0, "lat": 30.0})
    records = [*shipped, outside]
    frame, _ = assign_platforms(records_to_frame(records), city, layers)
    expected = [PlatformRecord.model_validate(r) for r in frame_to_records(frame)]
    got = [assign_record(r, city, layers) for r in records]
    assert [r.model_dump() for r in got] == [r.model_dump() for r in expected]
    assert [list(r.zones) for r in got] == [list(r.zones) for r in expected]
    assert got[-1].district_adcode is None
    assert any(r.district_adcode != r.managing_adcode for r in got)  # Bio-Island is covered
