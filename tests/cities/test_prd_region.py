"""The Pearl River Delta region profile (``prd``): a City whose units are its nine members'.

Checked against the member cities' own files (loaded separately), not against the region's
files alone: the units are exactly the members' units, the facts are the members' facts, the
CRSs are valid over the whole region.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geo.cities import City, open_city
from geo.errors import ValidationError

MEMBERS = (
    "guangzhou",
    "shenzhen",
    "zhuhai",
    "foshan",
    "jiangmen",
    "zhaoqing",
    "huizhou",
    "dongguan",
    "zhongshan",
)


@cache
def _prd() -> City:
    return open_city("prd")


@cache
def _member(city_id: str) -> City:
    return open_city(city_id)


def test_region_lists_its_nine_members_and_a_plain_city_none():
    prd = _prd()
    assert prd.is_region
    assert tuple(m.id for m in prd.members) == MEMBERS
    assert _member("guangzhou").members == ()
    assert not _member("guangzhou").is_region


def test_units_are_exactly_the_members_units_with_city_names():
    units = _prd().units.set_index("adcode")
    assert len(units) == 50
    for city_id in MEMBERS:
        member = _member(city_id)
        own = member.units.set_index("adcode")
        mine = units[units["city_adcode"] == member.profile.adcode]
        assert sorted(mine.index) == sorted(own.index), city_id
        assert (mine["city_zh"] == member.profile.name_zh).all()
        assert (mine["city_en"] == member.profile.name_en).all()
        for code in own.index:  # same polygons, to the file's 1e-7 degree resolution
            a, b = mine.geometry[code], own.geometry[code]
            assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), 1e-7), code
        pd.testing.assert_series_equal(
            pd.to_numeric(mine.loc[own.index, "population_2020"]),
            pd.to_numeric(own["population_2020"]),
            check_names=False,
            check_dtype=False,
        )


def test_web_units_carry_the_city_names_too():
    web = _prd().units_web
    assert len(web) == 50
    assert web[["city_adcode", "city_zh", "city_en"]].notna().all().all()


def test_facts_are_the_members_tables_with_their_sources():
    facts = _prd().facts
    assert len(facts) == 50
    for city_id in MEMBERS:
        member = _member(city_id)
        mine = facts[facts["city_adcode"] == member.profile.adcode].reset_index(drop=True)
        pd.testing.assert_frame_equal(
            mine.drop(columns="city_adcode"), member.facts, check_dtype=False
        )
    known = facts["population_2020"].notna()
    # every figure has a source; a missing figure says why (status not_found), never a guess
    assert facts.loc[known, "population_source"].str.len().gt(0).all()
    assert (facts.loc[~known, "population_status"] == "not_found").all()


def test_region_outline_and_cities_layer():
    prd = _prd()
    assert len(prd.outline) == 1
    cities = prd.zone_layers()["cities"].zones
    assert list(cities["zone_id"]) == [_member(c).profile.adcode for c in MEMBERS]
    assert list(cities["name_zh"]) == [_member(c).profile.name_zh for c in MEMBERS]
    assert cities["population_2020"].sum() == prd.profile.units.population_total
    union = shapely.union_all(cities.geometry.values)
    assert abs(union.area - prd.outline.geometry.iloc[0].area) < 1e-6 * union.area


def test_management_areas_and_historic_names_come_from_the_members():
    prd = _prd()
    assert len(prd.management) == len(_member("guangzhou").management) == 1
    assert prd.unit_named_in("广州市萝岗区科学城") == "440112"  # Guangzhou's historic name
    assert prd.unit_named_in("深圳市龙华新区") == "440309"  # Shenzhen's
    assert prd.unit_named_in("惠州市博罗县罗阳街道") == "441322"
    # Bio-Island: administratively Haizhu, managed by Huangpu, in the region as in Guangzhou
    island = _member("guangzhou").management.geometry.iloc[0].representative_point()
    assert prd.unit_of(island.x, island.y) == "440105"
    assert prd.managing_adcode(island.x, island.y, "440105") == "440112"


def test_a_point_in_each_city_gets_its_unit_and_city():
    prd = _prd()
    for city_id in MEMBERS:
        member = _member(city_id)
        for code, geom in zip(member.units["adcode"], member.units.geometry, strict=True):
            p = geom.representative_point()
            assert prd.unit_of(p.x, p.y) == code
            assert prd.unit_city[code] == member.profile.adcode


@pytest.mark.parametrize("lon", [111.36, 113.4, 115.42])
@pytest.mark.parametrize("lat", [21.46, 23.0, 24.39])
def test_metric_crs_scale_error_small_over_the_whole_region(lon, lat):
    """Distances: the transverse Mercator's scale error stays below 0.06 % at the region's
    extremes (EPSG:4547 would be used 1.1 degrees outside its zone at Zhaoqing's west end)."""
    proj = pyproj.Proj(_prd().metric_crs)
    f = proj.get_factors(lon, lat)
    assert abs(f.meridional_scale - 1) < 6e-4
    assert abs(f.parallel_scale - 1) < 6e-4
    assert abs(f.angular_distortion) < 1e-5  # conformal (numerical derivatives)


def test_equal_area_crs_gives_the_members_own_areas():
    """Each unit's area in the region's equal-area CRS equals the one in its city's own."""
    prd = _prd()
    mine = prd.units_layer.area_km2.to_numpy()
    theirs = prd.units.set_index("adcode")["area_km2"].to_numpy()  # built in each city's CRS
    np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=0.01)
    f = pyproj.Proj(prd.equal_area_crs).get_factors(111.36, 21.46)
    assert abs(f.areal_scale - 1) < 1e-9


def test_a_region_of_regions_is_refused(tmp_path: Path):
    src = _prd().profile.source_path
    assert src is not None
    text = src.read_text(encoding="utf-8")
    (tmp_path / "prd.toml").write_text(text, encoding="utf-8")
    bad = text.replace('id = "prd"', 'id = "gba"').replace('"guangzhou",', '"prd.toml",')
    bad = bad.replace('= "../boundaries/', f'= "{src.parent.parent}/boundaries/')
    (tmp_path / "gba.toml").write_text(bad, encoding="utf-8")
    region = open_city(tmp_path / "gba.toml")
    with pytest.raises(ValidationError, match="is itself a region"):
        _ = region.members


def test_units_not_fitting_the_members_are_refused(tmp_path: Path):
    src = _prd().profile.source_path
    assert src is not None
    text = src.read_text(encoding="utf-8").replace('    "zhongshan",\n', "")
    text = text.replace('= "../boundaries/', f'= "{src.parent.parent}/boundaries/')
    (tmp_path / "eight.toml").write_text(text.replace('id = "prd"', 'id = "eight"'), "utf-8")
    with pytest.raises(ValidationError, match=r"442000.*not a member city"):
        _ = open_city(tmp_path / "eight.toml").units


def test_grid_index_is_exact_near_every_unit_border():
    """The two-level grid answers like the exact polygon test, also within 300 m of a border
    (where the fine cells and the clipped pieces are used), and on the border vertices."""
    prd = _prd()
    index = prd.units_layer.index
    lines = shapely.get_parts(shapely.boundary(prd.units.geometry.values))
    xy = shapely.get_coordinates(lines)
    rng = np.random.default_rng(3)
    near = xy[rng.choice(len(xy), 40_000)] + rng.normal(0, 0.003, (40_000, 2))  # ~300 m
    x0, y0, x1, y1 = prd.outline.total_bounds
    uniform = np.column_stack([rng.uniform(x0, x1, 40_000), rng.uniform(y0, y1, 40_000)])
    for pts in (near, uniform, xy[::7]):
        got = index.lookup(pts[:, 0], pts[:, 1])
        assert np.array_equal(got, index.exact(pts[:, 0], pts[:, 1]))
    assert "fine cells near an edge" in index.describe()
