"""Service-chain matrix and gap list against hand-counted cases."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo.filters import PlatformFilter
from geo.stats.chain import (
    UNSTAGED,
    ChainOptionError,
    chain_gaps,
    chain_matrix,
    gaps_to_records,
    unlocated_zones,
)
from geo.taxonomy import CHAIN_STAGES
from tests.stats.conftest import make_platforms


@pytest.fixture
def staged():
    return make_platforms(
        [
            # zone A: basic + applied (one platform serving both), one unstaged
            {"lon": 113.02, "lat": 23.05, "chain_stages": ["basic_research", "applied_rnd"]},
            {"lon": 113.03, "lat": 23.05, "chain_stages": []},
            # zone B: a transformation cluster at the transformation stage, and a basic lab
            {"lon": 113.2, "lat": 23.05, "type": "transformation_cluster", "sub_kind": "incubator",
             "chain_stages": ["transformation"]},
            {"lon": 113.25, "lat": 23.05, "chain_stages": ["basic_research"]},
        ]
    )  # fmt: skip


def test_stage_matrix_by_hand(staged, ab_layer, city):
    m = chain_matrix(staged, ab_layer, city=city)
    assert list(m.counts.columns) == [*CHAIN_STAGES, UNSTAGED]
    assert m.counts.loc["A"].to_dict() == {
        "basic_research": 1, "applied_rnd": 1, "pilot_production": 0, "transformation": 0, UNSTAGED: 1
    }  # fmt: skip
    assert m.counts.loc["B"].to_dict() == {
        "basic_research": 1, "applied_rnd": 0, "pilot_production": 0, "transformation": 1, UNSTAGED: 0
    }  # fmt: skip
    assert m.counts.loc["C"].sum() == 0
    assert m.zones.set_index("zone_id")["total"].to_dict() == {"A": 2, "B": 2, "C": 0}
    assert m.city == {"basic_research": 2, "applied_rnd": 1, "pilot_production": 0,
                      "transformation": 1, UNSTAGED: 1}  # fmt: skip


def test_type_and_type_stage_matrices(staged, ab_layer, city):
    t = chain_matrix(staged, ab_layer, dimension="type", city=city)
    assert t.counts.loc["B"].to_dict() == {
        "basic_condition": 0,
        "public_technology": 1,
        "transformation_cluster": 1,
    }
    ts = chain_matrix(staged, ab_layer, dimension="type_stage", city=city)
    assert ts.counts.loc["B", "transformation_cluster/transformation"] == 1
    assert ts.counts.loc["A", "public_technology/applied_rnd"] == 1
    assert ts.counts.loc["A", UNSTAGED] == 1
    assert len(ts.keys) == 3 * len(CHAIN_STAGES)


def test_gaps_ranked_by_population_and_by_count(staged, ab_layer, city):
    m = chain_matrix(staged, ab_layer, city=city)
    gaps = chain_gaps(m, rank_by="population")
    # B has 300k residents, A 100k: B first. C has no geometry and is never a gap.
    assert gaps["zone_id"].tolist() == ["B", "B", "A", "A"]
    assert gaps.loc[gaps.zone_id == "B", "missing"].tolist() == ["applied_rnd", "pilot_production"]
    assert gaps.loc[gaps.zone_id == "A", "missing"].tolist() == [
        "pilot_production",
        "transformation",
    ]
    assert UNSTAGED not in set(gaps["missing"])
    assert unlocated_zones(m) == ["C"]
    more = pd.concat([staged, make_platforms([{"lon": 113.05, "lat": 23.02}])], ignore_index=True)
    by_count = chain_gaps(chain_matrix(more, ab_layer, city=city), rank_by="count")
    assert by_count["zone_id"].iloc[0] == "A"  # 3 platforms in A beat 2 in B
    json.dumps(gaps_to_records(gaps), allow_nan=False)


def test_gap_with_unknown_population_is_ranked_last_with_note(staged, ab_layer, city):
    zones = ab_layer.zones.copy()
    zones.loc[zones.zone_id == "B", "population_2020"] = None
    layer = type(ab_layer)(name="ab", zones=zones, title_zh="t", title_en="t")
    gaps = chain_gaps(chain_matrix(staged, layer, city=city))
    assert gaps["zone_id"].iloc[-1] == "B"
    assert gaps.loc[gaps.zone_id == "B", "note"].str.contains("no population").all()


def test_filter_matching_nothing_gives_all_zero_matrix(staged, ab_layer, city):
    m = chain_matrix(staged, ab_layer, filter=PlatformFilter(type=("basic_condition",)), city=city)
    assert m.counts.to_numpy().sum() == 0
    assert m.total == 0
    gaps = chain_gaps(m)
    assert len(gaps) == 2 * len(CHAIN_STAGES)  # every stage in both located zones
    json.dumps(m.to_dict(), allow_nan=False)


def test_bad_options_are_clear_errors(staged, ab_layer, city):
    with pytest.raises(ChainOptionError, match="'stages'"):
        chain_matrix(staged, ab_layer, dimension="stages", city=city)  # type: ignore[arg-type]
    with pytest.raises(ChainOptionError, match="'people'"):
        chain_gaps(chain_matrix(staged, ab_layer, city=city), rank_by="people")  # type: ignore[arg-type]


def test_shipped_registry_matrix_agrees_with_the_registry(shipped_layers, city):
    from geo.store import load_registry

    platforms = load_registry()
    m = chain_matrix(platforms, shipped_layers["districts"], city=city)
    for stage in CHAIN_STAGES:
        expected = sum(stage in (s or ()) for s in platforms["chain_stages"])
        assert m.city[stage] == expected
    t = chain_matrix(platforms, shipped_layers["districts"], dimension="type", city=city)
    assert t.city == {k: int(v) for k, v in platforms["type"].value_counts().items()} | {
        k: 0 for k in t.keys if k not in set(platforms["type"])
    }
