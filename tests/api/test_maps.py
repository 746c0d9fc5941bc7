"""/maps: interactive HTML whose every asset is served locally, figures, PNG/SVG snapshots."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

ASSET = re.compile(r'(?:src|href)="([^"]+\.(?:js|css))"')


def test_index_links_every_map(client):
    r = client.get("/maps")
    assert r.status_code == 200
    hrefs = [link["href"] for link in r.json()["links"]]
    assert any(h.endswith("/maps/interactive") for h in hrefs)
    assert any(h.endswith("/maps/snapshot.png") for h in hrefs)


@pytest.mark.parametrize(
    "url",
    [
        "/maps/interactive",
        "/maps/interactive?layer=zones363&lang=en&field=drug_rnd",
        "/maps/figures/1",
    ],
)
def test_interactive_html_loads_nothing_from_outside(client, url):
    r = client.get(url)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assets = ASSET.findall(r.text)
    assert assets, "the page references its scripts"
    assert all(a.startswith("/maps/assets/") for a in assets), assets
    for a in set(assets):
        got = client.get(a)
        assert got.status_code == 200, a
        assert len(got.content) > 0


def test_interactive_map_carries_every_platform(client, registry):
    html = client.get("/maps/interactive").text
    assert all(name in html for name in registry["name_zh"])


def test_unknown_asset_is_404(client):
    assert client.get("/maps/assets/../../etc/passwd").status_code == 404
    assert client.get("/maps/assets/nothing.js").status_code == 404


def test_png_snapshot_decodes_and_is_not_blank(client):
    r = client.get("/maps/snapshot.png?dpi=40")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(r.content)).convert("L")
    w, h = img.size
    assert w > h > 100  # a4-landscape
    pixels = np.asarray(img)
    assert pixels.std() > 10
    assert (pixels < 128).mean() > 0.001


def test_svg_snapshot(client):
    r = client.get("/maps/snapshot.svg?lang=en")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in r.content[:2000]


@pytest.mark.parametrize(
    "url", ["/maps/snapshot.gif", "/maps/figures/9", "/maps/interactive?layer=x"]
)
def test_bad_map_requests_are_400(client, url):
    r = client.get(url)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
