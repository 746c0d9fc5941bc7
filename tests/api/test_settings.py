"""Settings: BIOMAP_ prefix, validation, and no app built at import time."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import Settings

from .conftest import SHIPPED_LAYERS


def test_settings_read_prefixed_environment(monkeypatch):
    monkeypatch.setenv("BIOMAP_MAX_LIMIT", "50")
    monkeypatch.setenv("BIOMAP_LAYERS", '{"parks": "/tmp/parks.geojson"}')
    settings = Settings()
    assert settings.max_limit == 50
    assert str(settings.layers["parks"]) == "/tmp/parks.geojson"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"default_limit": 20, "max_limit": 10},
        {"port": 0},
        {"max_limit": 0},
        {"unknown_params": "sometimes"},
        {"layers": {"districts": "x.geojson"}},
    ],
)
def test_invalid_settings_are_rejected(kwargs):
    with pytest.raises(ValidationError):
        Settings(**kwargs)


def test_importing_api_builds_nothing():
    code = (
        "import sys, api; web = 'fastapi' in sys.modules; import api.app; "
        "print(web, hasattr(api.app, 'app'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_unknown_layer_file_fails_at_startup(tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from geo.errors import DataFileError

    app = create_app(Settings(layers={"parks": tmp_path / "missing.geojson"}))
    with pytest.raises(DataFileError, match=r"missing\.geojson"), TestClient(app):
        pass


# -- city and store -------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
GUANGZHOU_TOML = ROOT / "data" / "cities" / "guangzhou.toml"
SHIPPED_REGISTRY = ROOT / "data" / "platforms.geojson"


def test_city_and_store_default_to_the_shipped_ones(monkeypatch):
    for name in ("BIOMAP_CITY", "BIOMAP_STORE", "BIOMAP_REGISTRY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.city == "guangzhou"
    assert settings.store is None
    assert settings.store_location is None  # open_store(None): the shipped registry


def test_city_and_store_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("BIOMAP_CITY", str(GUANGZHOU_TOML))
    monkeypatch.setenv("BIOMAP_STORE", str(SHIPPED_REGISTRY))
    settings = Settings()
    assert settings.city == str(GUANGZHOU_TOML)
    assert settings.store_location == str(SHIPPED_REGISTRY)


def test_registry_is_a_deprecated_alias_of_store(monkeypatch, caplog):
    monkeypatch.delenv("BIOMAP_STORE", raising=False)
    monkeypatch.setenv("BIOMAP_REGISTRY", str(SHIPPED_REGISTRY))
    with caplog.at_level(logging.WARNING, logger="biomap.api"):
        settings = Settings()
    assert settings.store_location == SHIPPED_REGISTRY
    assert "BIOMAP_REGISTRY is deprecated" in caplog.text
    with pytest.raises(ValidationError, match="not both"):
        Settings(store=str(SHIPPED_REGISTRY))  # BIOMAP_REGISTRY is still set


def test_city_profile_given_by_path_is_served(registry):
    from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(Settings(city=str(GUANGZHOU_TOML)))
    with TestClient(app) as client:
        data = client.app.state.data
        assert data.city.id == "guangzhou"
        assert data.city.profile.source_path == GUANGZHOU_TOML.resolve()
        assert list(data.layers) == SHIPPED_LAYERS
        body = client.get("/").json()
        assert body["title"] == data.city.title("en")
        assert body["title_zh"] == data.city.title("zh") + "地图"
        assert client.get("/healthz").json()["platforms"] == len(registry)


def test_store_selects_the_registry(tmp_path, registry):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from geo.store import GeoJSONStore, load_registry, open_store

    small = tmp_path / "small.geojson"
    GeoJSONStore(small).save(open_store(SHIPPED_REGISTRY).load()[:5])
    assert len(load_registry(small)) == 5
    for settings in (Settings(store=str(small)), Settings(store=f"file://{small}")):
        with TestClient(create_app(settings)) as client:
            assert client.get("/healthz").json()["platforms"] == 5
            assert client.app.state.data.store.location == str(small)


def test_unknown_city_fails_at_startup_with_a_clear_error():
    from fastapi.testclient import TestClient

    from api.app import create_app
    from geo.errors import DataFileError

    app = create_app(Settings(city="atlantis"))
    with (
        pytest.raises(DataFileError, match=r"no city profile 'atlantis'.*guangzhou"),
        TestClient(app),
    ):
        pass


def test_unknown_store_scheme_fails_at_startup():
    from fastapi.testclient import TestClient

    from api.app import create_app
    from geo.errors import DataFileError

    app = create_app(Settings(store="nosuch://db/platforms"))
    with pytest.raises(DataFileError, match="nosuch"), TestClient(app):
        pass


def test_serve_takes_city_and_store_and_refuses_an_unknown_city():
    from typer.testing import CliRunner

    from geo.cli import app

    runner = CliRunner()
    help_text = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    assert "--city" in help_text
    assert "--store" in help_text
    result = runner.invoke(app, ["serve", "--city", "atlantis"])
    assert result.exit_code == 3  # could not run; uvicorn is never started
    assert "no city profile 'atlantis'" in result.output
