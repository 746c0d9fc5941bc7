"""Shared fixtures for the static-map tests: the shipped data, laid out once per session."""

from __future__ import annotations

import pytest

from geo.filters import PlatformFilter


@pytest.fixture(scope="session")
def platforms():
    from geo.store import load_registry

    return load_registry()


@pytest.fixture(scope="session")
def layers(shipped_layers):
    return shipped_layers


@pytest.fixture(scope="session")
def fig4_en(platforms, layers, city):
    """Figure 4 (transformation clusters + the provisional 363 zones), English, A4 landscape."""
    from geo.snapshot import snapshot_figure

    return snapshot_figure(
        platforms,
        layers,
        city=city,
        filter=PlatformFilter(type=("transformation_cluster",)),
        lang="en",
        points_by="sub_kind",
        overlay="zones363",
        title="Figure 4 test",
    )


@pytest.fixture(scope="session")
def level_zh(platforms, layers, city):
    """All platforms by level, Chinese, A4 landscape."""
    from geo.snapshot import snapshot_figure

    return snapshot_figure(platforms, layers, city=city, points_by="level", title="按级别测试图")
