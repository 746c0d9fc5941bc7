"""The shipped registry's outer districts (issue 15 §4): sourced where found, documented where not."""

from pathlib import Path

from geo import DATA_DIR
from geo.store import open_store

HUADU, CONGHUA = "440114", "440117"
SOURCES_README = DATA_DIR / "sources" / "README.md"
README = Path(__file__).resolve().parents[2] / "README.md"


def records_in(adcode):
    return [r for r in open_store().load() if r.district_adcode == adcode]


def test_huadu_has_a_sourced_platform():
    sourced = [r for r in records_in(HUADU) if r.verification == "sourced"]
    assert sourced, "no sourced platform in Huadu"
    for r in sourced:
        assert "http" in r.source, r.id
        assert r.coord_source.startswith("gazetteer:"), r.id  # geocoded from its sourced address


def test_conghua_claim_matches_the_data():
    """The README says Conghua has no platform exactly when the registry has none there,
    and then data/sources/README.md records the search that found none."""
    claim = "Conghua has no platform yet" in README.read_text(encoding="utf-8")
    in_conghua = records_in(CONGHUA)
    assert claim == (not in_conghua), [r.id for r in in_conghua]
    if not in_conghua:
        notes = SOURCES_README.read_text(encoding="utf-8")
        section = notes.split("## Conghua", 1)[1].split("\n## ", 1)[0]
        assert "no public source found" in section
        queries = [q for q in section.split(";") if "从化" in q]
        assert len(queries) >= 20  # the queries themselves, not just a statement


def test_no_gazetteer_point_claims_building_precision():
    """A building-level address without a building coordinate stays at the geocoder's precision."""
    for r in open_store().load():
        if r.coord_precision in {"building", "exact"}:
            assert r.coord_source.startswith("supplied:"), r.id
            assert r.verification != "unverified", r.id
    gcp = {r.id: r for r in open_store().load()}["gz-gdhtcm-gcp"]
    assert "Room 1803" in gcp.note
    assert gcp.coord_precision == "campus"
    assert gcp.verification == "sourced"
