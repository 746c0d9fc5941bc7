"""The 2025 value parks and the 2021 GBA pharma zone are served like the 363 layer: as
collections, in /stats/density, in /locate, and on the interactive and static maps."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from geo.stats.density import density_table

NEW_LAYERS = ["value_parks", "gba_pharma_zone"]
SCIENCE_CITY = (113.4444, 23.1687)  # the Line 21 Science City station: inside vp-huangpu


@pytest.mark.parametrize("layer", NEW_LAYERS)
def test_collection_is_listed_provisional_with_its_gaps(client, shipped_layers, layer):
    ids = [c["id"] for c in client.get("/collections").json()["collections"]]
    assert layer in ids
    info = client.get(f"/collections/{layer}").json()
    zones = shipped_layers[layer]
    assert info["provisional"] is True
    assert info["features_without_geometry"] == len(zones.zones) - len(zones.located) > 0


@pytest.mark.parametrize("layer", NEW_LAYERS)
def test_items_carry_provenance_and_keep_unlocated_zones(client, shipped_layers, layer):
    body = client.get(f"/collections/{layer}/items?limit=100").json()
    zones = shipped_layers[layer].zones
    assert body["numberMatched"] == len(zones)
    for f in body["features"]:
        props = f["properties"]
        assert props["basis"], f["id"]
        assert "http" in props["source"], f["id"]
        assert props["geometry_quality"]
        assert (f["geometry"] is None) == (props["geometry_quality"] == "none"), f["id"]


@pytest.mark.parametrize("layer", NEW_LAYERS)
def test_density_counts_match_the_library(client, registry, shipped_layers, layer):
    city = client.app.state.data.city
    expected = density_table(registry, shipped_layers[layer], city=city).table
    body = client.get("/stats/density", params={"layer": layer}).json()
    assert body["provisional"] is True
    assert [z["count"] for z in body["zones"]] == expected["count"].tolist()
    unlocated = shipped_layers[layer].zones.loc[
        shipped_layers[layer].zones["geometry_quality"] == "none", "zone_id"
    ]
    assert sorted(body["totals"]["zones_without_geometry"]) == sorted(unlocated)


def test_value_parks_count_huangpu_and_yuexiu(client):
    body = client.get("/stats/density", params={"layer": "value_parks"}).json()
    count = {z["zone_id"]: z["count"] for z in body["zones"]}
    assert count["vp-huangpu"] > 0
    assert count["vp-yuexiu"] > 0
    assert count["vp-nansha"] == 0


def test_locate_names_the_value_park(client):
    lon, lat = SCIENCE_CITY
    body = client.get("/locate", params={"lon": lon, "lat": lat}).json()
    assert body["zones"]["value_parks"]["zone_id"] == "vp-huangpu"
    assert body["zones"]["gba_pharma_zone"] is None


@pytest.mark.parametrize("layer", NEW_LAYERS)
def test_interactive_map_draws_the_layer(client, shipped_layers, layer):
    r = client.get("/maps/interactive", params={"layer": layer, "lang": "en"})
    assert r.status_code == 200
    located = shipped_layers[layer].located
    assert all(name in r.text for name in located["name_en"])


@pytest.mark.parametrize("layer", NEW_LAYERS)
def test_snapshot_draws_the_layer(client, layer):
    r = client.get("/maps/snapshot.png", params={"layer": layer, "dpi": 40})
    assert r.status_code == 200
    img = Image.open(io.BytesIO(r.content)).convert("L")
    assert img.size[0] > img.size[1] > 100


def test_maps_index_links_the_new_layers(client):
    hrefs = [link["href"] for link in client.get("/maps").json()["links"]]
    for layer in NEW_LAYERS:
        assert any(h.endswith(f"/maps/interactive?layer={layer}") for h in hrefs)
