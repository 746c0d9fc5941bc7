"""District populations (2020 census) in district_facts.csv: every figure sourced, and the
districts sum to the city total."""

from pathlib import Path

import pandas as pd
import pytest

FACTS = Path(__file__).resolve().parents[2] / "data" / "boundaries" / "district_facts.csv"
CITY_TOTAL_2020 = 18_676_605  # 广州市第七次全国人口普查公报; data/cities/guangzhou.toml


@pytest.fixture(scope="module")
def facts():
    return pd.read_csv(FACTS, dtype={"adcode": str})


def test_profile_total_is_the_census_total(city):
    assert city.profile.units.population_total == CITY_TOTAL_2020


def test_every_population_has_a_source_and_status(facts):
    assert len(facts) == 11
    assert facts["adcode"].is_unique
    known = facts["population_2020"].notna()
    assert facts.loc[known, "population_status"].isin({"sourced", "sourced_weak"}).all()
    assert facts.loc[known, "population_source"].str.contains("http").all()
    # a missing figure is marked so, and says why; it is never filled by subtraction
    assert (facts.loc[~known, "population_status"] == "not_found").all()
    assert facts.loc[~known, "population_source"].str.contains("not found").all()
    assert (facts.loc[known, "population_2020"] > 0).all()


def test_known_districts_do_not_exceed_the_city_total(facts):
    assert facts["population_2020"].sum() <= CITY_TOTAL_2020


def test_districts_sum_to_the_city_total(facts):
    """Every district has its own sourced figure, and together they make the census total.

    Liwan and Conghua were found separately (data/boundaries/README.md), not by subtraction:
    the sum is a check on all eleven figures at once, not a way to fill one.
    """
    assert facts["population_2020"].notna().all(), facts.loc[
        facts["population_2020"].isna(), "name_en"
    ].tolist()
    assert int(facts["population_2020"].sum()) == CITY_TOTAL_2020


@pytest.mark.parametrize(("adcode", "figure"), [("440103", 1_238_305), ("440117", 717_684)])
def test_liwan_and_conghua_cite_their_own_sources(facts, adcode, figure):
    row = facts.set_index("adcode").loc[adcode]
    assert row["population_2020"] == figure
    assert "subtraction" not in row["population_source"]
    assert row["population_source"].count("http") >= 2  # two independent pages each
