"""A bounded schemathesis run over the OpenAPI document: no 5xx, no schema violations.

Every operation (including routers other capabilities add) gets a fixed, small number of
generated requests (derandomized, so the run is repeatable and bounded in time).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.settings import Settings

EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


APP = create_app(Settings())  # cheap: the data is loaded by the lifespan, below
#: Statistics that simulate (Ripley's L, Gi* permutations) take seconds: fewer examples there.
ANALYTICS = r"^/stats/(chain|clustering)"
MAPS = r"^/maps/"  # rendering a map takes 0.1-1 s: fewer examples there
_all = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema = _all.exclude(path_regex=MAPS).exclude(path_regex=ANALYTICS)
map_schema = _all.include(path_regex=MAPS)
analytics_schema = _all.include(path_regex=ANALYTICS)


@pytest.fixture(scope="module", autouse=True)
def _loaded() -> Iterator[None]:
    """Run the app's lifespan once; schemathesis's requests then find the data loaded."""
    with TestClient(APP):
        yield


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms(case):
    case.call_and_validate(checks=CHECKS)


@map_schema.parametrize()
@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_map_operations_conform(case):
    case.call_and_validate(checks=CHECKS)


@analytics_schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_analytics_operations_conform(case):
    case.call_and_validate(checks=CHECKS)
