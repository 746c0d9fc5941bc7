"""Shared fixtures: tiny hand-built layers, the shipped data, a throwaway PostgreSQL cluster."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import geopandas as gpd
import pytest
import shapely

from geo.crs import WGS84
from geo.zones import ZoneLayer
from tests.pg import Cluster


def make_layer(zones: dict[str, shapely.Geometry | None], name: str = "test") -> ZoneLayer:
    """A zone layer from ``zone_id -> polygon``."""
    gdf = gpd.GeoDataFrame(
        {
            "zone_id": list(zones),
            "name_zh": [f"区{z}" for z in zones],
            "name_en": [f"Zone {z}" for z in zones],
        },
        geometry=list(zones.values()),
        crs=WGS84,
    )
    return ZoneLayer(name=name, zones=gdf, title_zh=name, title_en=name)


@pytest.fixture
def two_squares() -> ZoneLayer:
    """Two unit squares sharing the edge x = 1 (A: 0..1, B: 1..2), plus a zone with no geometry."""
    return make_layer({"A": shapely.box(0, 0, 1, 1), "B": shapely.box(1, 0, 2, 1), "C": None})


@pytest.fixture(scope="session")
def city():
    """The shipped default city (Guangzhou), opened once for the test session."""
    from geo.cities import open_city

    return open_city()


@pytest.fixture(scope="session")
def shipped_layers(city):
    return city.zone_layers()


#: The migrated database every test database is copied from.
PG_TEMPLATE = "biomap_template"
_pg_databases = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A PostgreSQL + PostGIS cluster for the session (see tests/pg.py), removed at the end.

    It holds ``biomap_template``: PostGIS and the biomap schema (``PostGISStore.init``).
    Without PostgreSQL installed this fails, saying to run scripts/setup.sh.
    """
    from geo.store.postgis import PostGISStore

    try:
        cluster = Cluster()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        cluster.start()
        cluster.execute(f"CREATE DATABASE {PG_TEMPLATE}")
        cluster.execute("CREATE EXTENSION postgis", PG_TEMPLATE)
        with PostGISStore(cluster.url(PG_TEMPLATE)) as store:
            store.init()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """The URL of a fresh database with the biomap schema (a copy of the template), dropped after."""
    name = f"biomap_test_{next(_pg_databases)}"
    pg_cluster.execute(f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE} STRATEGY FILE_COPY")
    yield pg_cluster.url(name)
    if pg_cluster.running():
        pg_cluster.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_shipped_url(pg_cluster: Cluster) -> str:
    """A session-wide database holding the shipped registry (for read-only tests: do not write)."""
    from geo.store import DEFAULT_REGISTRY, open_store

    name = "biomap_shipped"
    pg_cluster.execute(f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE} STRATEGY FILE_COPY")
    url = pg_cluster.url(name)
    with open_store(url) as store:
        store.save(open_store(DEFAULT_REGISTRY).load(), actor="import")
    return url


#: The stores every store and API test runs against.
STORE_KINDS = ("file", "postgis")


@pytest.fixture(params=STORE_KINDS)
def store_location(request: pytest.FixtureRequest, tmp_path) -> str:
    """A registry holding the shipped records, in each kind of store: its ``--store`` value.

    ``file``: a GeoJSON file in ``tmp_path`` (mode 0644); ``postgis``: a fresh database of the
    session's cluster. Both are filled by ``save`` (actor ``import``), so their histories agree.
    """
    from geo.store import DEFAULT_REGISTRY, open_store

    if request.param == "file":
        location = str(tmp_path / "platforms.geojson")
    else:
        location = request.getfixturevalue("pg_url")
    store = open_store(location)
    store.save(open_store(DEFAULT_REGISTRY).load(), actor="import")
    if request.param == "file":
        (tmp_path / "platforms.geojson").chmod(0o644)
    store.close()
    return location
