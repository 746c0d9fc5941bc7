"""Settings: BIOMAP_ prefix, validation, and no app built at import time."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from api.settings import Settings


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
