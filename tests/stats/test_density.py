"""Density by zone against hand-computed values, bad input, and the Bio-Island basis."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo.cities import open_city
from geo.filters import PlatformFilter
from geo.stats.density import DENSITY_COLUMNS, DistrictBasisError, density_table
from geo.zones import ZoneLayer
from tests.stats.conftest import BOX_A, make_platforms


@pytest.fixture
def four_platforms() -> gpd.GeoDataFrame:
    # 3 in A (one of them a transformation cluster), 1 in B, 1 outside every zone
    return make_platforms(
        [
            {"lon": 113.02, "lat": 23.05},
            {"lon": 113.05, "lat": 23.05},
            {
                "lon": 113.08,
                "lat": 23.02,
                "type": "transformation_cluster",
                "sub_kind": "incubator",
            },
            {"lon": 113.2, "lat": 23.05, "level": "provincial"},
            {"lon": 114.5, "lat": 22.0},
        ]
    )


def _geod_km2(box: shapely.Polygon) -> float:
    area, _ = Geod(ellps="GRS80").geometry_area_perimeter(box)
    return abs(area) / 1e6


def test_counts_rates_and_lqs_by_hand(four_platforms, ab_layer, city):
    res = density_table(four_platforms, ab_layer, city=city)
    t = res.table.set_index("zone_id")
    assert list(res.table.columns) == DENSITY_COLUMNS
    assert t["count"].to_dict() == {"A": 3, "B": 1, "C": 0}
    assert t.loc["A", "share"] == pytest.approx(3 / 5)
    # areas: the equal-area CRS against the ellipsoidal area of the same boxes
    assert t.loc["A", "area_km2"] == pytest.approx(_geod_km2(BOX_A), rel=1e-3)
    assert t.loc["B", "area_km2"] == pytest.approx(2 * t.loc["A", "area_km2"], rel=1e-3)
    assert t.loc["A", "per_km2"] == pytest.approx(3 / _geod_km2(BOX_A), rel=1e-3)
    assert t.loc["A", "per_100k"] == pytest.approx(3.0)
    assert t.loc["B", "per_100k"] == pytest.approx(1 / 3)
    # LQ(population): (3/4) / (100k/400k) = 3 ; (1/4) / (300k/400k) = 1/3
    assert t.loc["A", "lq_population"] == pytest.approx(3.0)
    assert t.loc["B", "lq_population"] == pytest.approx(1 / 3)
    # LQ(area): (3/4) / (1/3) = 2.25 ; (1/4) / (2/3) = 0.375 (B is twice A's area)
    assert t.loc["A", "lq_area"] == pytest.approx(2.25, rel=1e-3)
    assert t.loc["B", "lq_area"] == pytest.approx(0.375, rel=1e-3)
    assert res.totals["count"] == 5
    assert res.totals["in_zones"] == 4
    assert res.totals["outside_zones"] == 1
    assert res.totals["zones_without_geometry"] == ["C"]


def test_zone_without_geometry_or_population_gets_null_rates_with_reason(
    four_platforms, ab_layer, city
):
    row = density_table(four_platforms, ab_layer, city=city).table.set_index("zone_id").loc["C"]
    assert np.isnan(row["area_km2"])
    assert np.isnan(row["per_km2"])
    assert np.isnan(row["per_100k"])
    assert "no geometry" in row["note"]
    assert "no population figure" in row["note"]


def test_filter_matching_nothing_gives_zeros_not_errors(four_platforms, ab_layer, city):
    flt = PlatformFilter(type=("basic_condition",))
    res = density_table(four_platforms, ab_layer, filter=flt, city=city)
    t = res.table.set_index("zone_id")
    assert t["count"].tolist() == [0, 0, 0]
    assert t["share"].tolist() == [0.0, 0.0, 0.0]
    assert t.loc[["A", "B"], "per_km2"].tolist() == [0.0, 0.0]
    assert t.loc[["A", "B"], "per_100k"].tolist() == [0.0, 0.0]
    assert t.loc[["A", "B"], "lq_area"].isna().all()
    assert "no platform matched the filter" in t.loc["A", "note"]
    # JSON-ready: nulls, not NaN
    text = json.dumps(res.to_dict(), allow_nan=False)
    assert json.loads(text)["filter"] == {"type": ["basic_condition"]}


def test_filter_and_empty_registry(four_platforms, ab_layer, city):
    res = density_table(
        four_platforms, ab_layer, filter=PlatformFilter(level=("provincial",)), city=city
    )
    assert res.table.set_index("zone_id")["count"].to_dict() == {"A": 0, "B": 1, "C": 0}
    empty = density_table(four_platforms.iloc[:0], ab_layer, city=city)
    assert empty.totals["count"] == 0
    assert empty.table["count"].sum() == 0


def _districts_like(ab_layer: ZoneLayer) -> ZoneLayer:
    zones = ab_layer.zones.copy()
    zones["zone_id"] = ["440105", "440112", "440199"]
    return ZoneLayer(name="districts", zones=zones, title_zh="区", title_en="districts")


def test_managing_basis_moves_points_in_management_area(four_platforms, ab_layer):
    layer = _districts_like(ab_layer)
    island = gpd.GeoDataFrame(
        {"managing_adcode": ["440112"]},
        geometry=[shapely.box(113.04, 23.04, 113.06, 23.06)],  # holds the platform at 113.05
        crs="EPSG:4326",
    )
    city = open_city()  # the shipped rule, with this test's management area
    city.__dict__["management"] = island.assign(admin_adcode="440105")
    admin = density_table(four_platforms, layer, city=city)
    managed = density_table(four_platforms, layer, district_basis="managing", city=city)
    a = admin.table.set_index("zone_id")["count"]
    m = managed.table.set_index("zone_id")["count"]
    assert (a["440105"], a["440112"]) == (3, 1)
    assert (m["440105"], m["440112"]) == (2, 2)
    assert managed.totals["district_basis"] == "managing"
    # denominators do not move
    assert managed.table["area_km2"].equals(admin.table["area_km2"])


def test_unknown_basis_is_a_clear_error(four_platforms, ab_layer, city):
    with pytest.raises(DistrictBasisError, match="'both'"):
        density_table(four_platforms, ab_layer, district_basis="both", city=city)  # type: ignore[arg-type]


def test_shipped_registry_bio_island_both_ways(shipped_layers, city):
    """Expectations from the data: the platforms inside the management area move districts."""
    from geo.store import load_registry

    platforms = load_registry()
    island = city.management
    on_island = int(
        shapely.intersects_xy(
            island.geometry.iloc[0],
            platforms.geometry.x.to_numpy(),
            platforms.geometry.y.to_numpy(),
        ).sum()
    )
    layer = shipped_layers["districts"]
    a = density_table(platforms, layer, city=city).table.set_index("zone_id")["count"]
    m = density_table(platforms, layer, district_basis="managing", city=city).table.set_index(
        "zone_id"
    )["count"]
    assert a["440105"] - m["440105"] == on_island
    assert m["440112"] - a["440112"] == on_island
    assert a.sum() == m.sum()


def test_shipped_zones363_has_unlocated_zones_with_notes(shipped_layers, city):
    from geo.store import load_registry

    layer = shipped_layers["zones363"]
    res = density_table(load_registry(), layer, city=city)
    unlocated = layer.zones.geometry.isna() | layer.zones.geometry.is_empty
    assert sorted(res.totals["zones_without_geometry"]) == sorted(
        layer.zones.loc[unlocated, "zone_id"]
    )
    notes = res.table.set_index("zone_id").loc[res.totals["zones_without_geometry"], "note"]
    assert notes.str.contains("location unknown").all()
    json.dumps(res.to_dict(), allow_nan=False)


def test_zone_filter_counts_only_platforms_in_that_zone(shipped_layers, city):
    from geo.store import load_registry

    platforms = load_registry()
    on_island = platforms["zone_zones363"] == "core-bio-island"
    assert on_island.sum() > 0
    flt = PlatformFilter(zone=("zones363:core-bio-island",))
    res = density_table(platforms, shipped_layers["districts"], city=city, filter=flt)
    counts = res.table.set_index("zone_id")["count"]
    assert res.totals["count"] == on_island.sum()
    assert counts.sum() == on_island.sum()
    expected = platforms.loc[on_island, "district_adcode"].value_counts()
    assert counts[counts > 0].to_dict() == expected.to_dict()  # all in Haizhu (administrative)
    assert res.to_dict()["filter"] == {"zone": ["zones363:core-bio-island"]}
    bare = density_table(
        platforms,
        shipped_layers["zones363"],
        city=city,
        filter=PlatformFilter(zone=("core-bio-island",)),
    )
    by_zone = bare.table.set_index("zone_id")["count"]
    assert by_zone["core-bio-island"] == on_island.sum()
    assert by_zone.drop("core-bio-island").sum() == 0


@pytest.mark.parametrize(
    "flt",
    [
        PlatformFilter(),
        PlatformFilter(type=("basic_condition",)),
        PlatformFilter(level=("national",), stage=("applied_rnd",)),
        PlatformFilter(zone=("zones363:core-bio-island",)),
        PlatformFilter(q="no-such-platform-zz"),
    ],
)
def test_known_zone_ids_give_the_same_table_as_assigning_again(shipped_layers, city, flt):
    """The service passes the zones assigned at load (no second point-in-polygon test)."""
    import pandas as pd

    from geo.store import load_registry
    from geo.zones.assign import assign_platforms

    platforms, _ = assign_platforms(load_registry(), city, shipped_layers)
    platforms = platforms.reset_index(drop=True)
    for name, layer in shipped_layers.items():
        bases = ("administrative", "managing") if name == "districts" else ("administrative",)
        for basis in bases:
            column = (
                f"zone_{name}"
                if name != "districts"
                else ("managing_adcode" if basis == "managing" else "district_adcode")
            )
            again = density_table(platforms, layer, city=city, filter=flt, district_basis=basis)
            known = density_table(
                platforms,
                layer,
                city=city,
                filter=flt,
                district_basis=basis,
                zone_ids=platforms[column],
            )
            pd.testing.assert_frame_equal(known.table, again.table)
            assert known.totals == again.totals
            assert known.denominators == again.denominators


def test_known_zone_ids_must_match_the_platforms(four_platforms, ab_layer, city):
    import pandas as pd

    with pytest.raises(ValueError, match="zone_ids has 2 rows, platforms 5"):
        density_table(four_platforms, ab_layer, city=city, zone_ids=pd.Series(["A", "B"]))
