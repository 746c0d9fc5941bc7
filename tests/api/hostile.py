"""A registry with hostile records, in each kind of store, for the HTML escaping tests."""

from __future__ import annotations

from tests.maps.conftest import SCRIPT_NAME, XSS_NAME

XSS_ID = "xss-1"
SCRIPT_ID = "xss-2"
XSS_HOST = "<b onmouseover=alert(2)>host</b>"
XSS_SOURCE = 'javascript:alert(3) https://example.org/"onmouseover=alert(4)'


def fill_hostile(location: str) -> None:
    """Save the shipped records plus two whose names, host and source try to inject HTML."""
    from geo.store import DEFAULT_REGISTRY, open_store

    records = open_store(DEFAULT_REGISTRY).load()
    first, second = records[0], records[1]
    records.append(
        first.model_copy(
            update={"id": XSS_ID, "name_zh": XSS_NAME, "name_en": XSS_NAME,
                    "host_zh": XSS_HOST, "source": XSS_SOURCE, "note": "</script><b>note</b>"}
        )
    )  # fmt: skip
    records.append(second.model_copy(update={"id": SCRIPT_ID, "name_zh": SCRIPT_NAME}))
    with open_store(location) as store:
        store.save(records, actor="import")
