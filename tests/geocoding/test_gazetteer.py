"""The shipped gazetteer: complete, consistent with the boundaries, with provenance."""

import numpy as np
import pytest

from geo import DATA_DIR
from geo.cities import open_city
from geo.errors import DataFileError, ValidationError
from geo.geocoding.gazetteer import Gazetteer, read_gazetteer

CITY = open_city()
DISTRICTS = CITY.unit_names
GAZETTEER_DIR = DATA_DIR / "gazetteer"
normalize = CITY.text.normalize


@pytest.fixture(scope="module")
def gaz():
    return read_gazetteer(CITY.profile.gazetteer.files)


def test_every_point_lies_in_the_district_it_names(gaz, shipped_layers):
    index = shipped_layers["districts"].index
    ids = shipped_layers["districts"].zones["zone_id"].to_numpy()
    pos = index.lookup(gaz["lon"].to_numpy(float), gaz["lat"].to_numpy(float))
    got = np.where(pos >= 0, ids[np.maximum(pos, 0)], None)
    wrong = gaz.loc[got != gaz["district_adcode"].to_numpy(), ["id", "district_adcode"]]
    assert wrong.empty, wrong.to_string()


def test_every_district_has_its_streets_and_towns(gaz):
    units = gaz[gaz["kind"].isin(["street", "town"]) & (gaz["status"] == "current")]
    counts = units["district_adcode"].value_counts()
    assert set(counts.index) == set(DISTRICTS)
    assert 160 <= len(units) <= 200  # about 170-180 units in Guangzhou
    assert counts.min() >= 5


def test_historic_units_name_their_successor(gaz):
    historic = gaz[gaz["status"] == "historic"]
    assert {"萝岗区", "东山区", "芳村区", "从化市", "增城市"} <= set(historic["name_zh"])
    assert historic["successor"].str.len().gt(0).all()


def test_provenance_and_precision_on_every_entry(gaz):
    for col in ("source", "precision", "uncertainty_m", "confidence", "coord_crs"):
        assert (gaz[col].astype(str).str.len() > 0).all(), col
    assert (gaz["coord_crs"] == "wgs84").all()
    assert gaz["id"].is_unique


def test_find_prefers_the_longest_name():
    g = Gazetteer(read_gazetteer(GAZETTEER_DIR), normalize)
    found = [m.alias for m in g.find(normalize("中山大学附属第一医院"))]
    assert "中山大学附属第一医院" in found
    assert "中山" not in found


def test_missing_folder_and_bad_rows(tmp_path):
    with pytest.raises(DataFileError):
        read_gazetteer(tmp_path)
    (tmp_path / "a.csv").write_text("id,name_zh\nx,y\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="missing columns"):
        read_gazetteer(tmp_path)


def test_shipped_folder_is_the_default():
    assert GAZETTEER_DIR.name == "gazetteer"
    assert any(GAZETTEER_DIR.glob("*.csv"))
