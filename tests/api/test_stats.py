"""/stats/density: JSON and CSV, the same numbers as geo.stats.density.density_table."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geo.filters import PlatformFilter
from geo.stats.density import density_table
from tests.layers import one_zone_layer

from .conftest import SHIPPED_LAYERS


@pytest.mark.parametrize("layer", SHIPPED_LAYERS)
@pytest.mark.parametrize("params", [{}, {"type": "public_technology"}, {"stage": "transformation"}])
def test_density_json_matches_library(client, registry, shipped_layers, layer, params):
    flt = PlatformFilter.from_params(**params)
    city = client.app.state.data.city
    expected = density_table(registry, shipped_layers[layer], filter=flt, city=city)
    r = client.get("/stats/density", params={"layer": layer, **params})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["layer"] == layer
    assert body["provisional"] == shipped_layers[layer].provisional
    assert [z["count"] for z in body["zones"]] == expected.table["count"].tolist()
    assert body["totals"]["count"] == int(flt.mask(registry).sum())
    assert set(body["denominators"]) >= {"per_km2", "per_100k", "lq_area"}
    assert body["filter"] == params


def test_density_csv(client, registry):
    r = client.get("/stats/density?layer=districts&f=csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 11
    assert sum(int(row["count"]) for row in rows) == int(registry["district_adcode"].notna().sum())
    assert {"zone_id", "name_zh", "per_km2", "per_100k", "lq_population", "note"} <= set(rows[0])


def test_density_of_nothing_is_zeros_not_an_error(client):
    body = client.get("/stats/density?layer=districts&q=zzzz-no-such-name").json()
    assert body["totals"]["count"] == 0
    assert all(z["count"] == 0 for z in body["zones"])


def test_density_managing_basis_moves_bio_island_to_huangpu(client):
    admin = client.get("/stats/density", params={"layer": "districts"}).json()
    managing = client.get(
        "/stats/density", params={"layer": "districts", "district_basis": "managing"}
    ).json()
    count = {
        b: {z["zone_id"]: z["count"] for z in r["zones"]}
        for b, r in (("a", admin), ("m", managing))
    }
    moved = count["a"]["440105"] - count["m"]["440105"]
    assert moved > 0
    assert count["m"]["440112"] - count["a"]["440112"] == moved
    assert managing["district_basis"] == "managing"


def test_the_parametrised_layers_are_the_shipped_ones(shipped_layers):
    assert list(shipped_layers) == SHIPPED_LAYERS


def test_density_csv_escapes_zone_names_of_a_user_layer(tmp_path):
    evil = '=HYPERLINK("http://evil.example","点我")'
    layer = one_zone_layer(tmp_path / "evil.geojson", name_zh=evil, name_en="-1+1")
    with TestClient(create_app(Settings(layers={"evil": layer}))) as client:
        r = client.get("/stats/density?layer=evil&f=csv")
        json_name = client.get("/stats/density?layer=evil").json()["zones"][0]["name_zh"]
    assert r.status_code == 200
    (row,) = csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))
    assert (row["name_zh"], row["name_en"]) == (f"'{evil}", "'-1+1")
    assert int(row["count"]) > 0
    assert json_name == evil  # JSON is data, not a spreadsheet: kept as is
