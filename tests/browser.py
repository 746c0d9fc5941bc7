"""Debian's headless Chromium for the browser tests: offline, every non-local request blocked.

A test module takes the ``browser`` fixture from :func:`chromium` and opens pages with
:func:`open_page`, which records blocked requests, console errors and dialogs on a
:class:`Visit` (or a subclass with the module's own helpers).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from benchmarks._browser import CHROMIUM, CHROMIUM_ARGS

#: Pages served by the tests' own servers, plus the schemes a page builds for itself.
LOCAL = ("http://127.0.0.1", "data:", "blob:", "about:")


@dataclass
class Visit:
    """An open page and what it tried that a test must see: blocked requests, errors, dialogs."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def clean(self) -> None:
        """Nothing was blocked, logged as an error or shown as a dialog."""
        assert self.blocked == []
        assert self.errors == []
        assert self.dialogs == []


V = TypeVar("V", bound=Visit)


def chromium() -> Iterator[Browser]:
    """The browser, for a module-scoped fixture (``yield from chromium()``)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/setup.sh` (installs chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(
    browser: Browser,
    url: str,
    *,
    visit: type[V] = Visit,  # type: ignore[assignment]
    allowed: tuple[str, ...] = LOCAL,
    wait_until: Any = "load",
    **page_options: Any,
) -> V:
    """Open ``url`` in a new page that aborts (and records) every request outside ``allowed``."""
    page = browser.new_page(**page_options)
    v = visit(page)

    def route(r: Any) -> None:
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            v.blocked.append(r.request.url)
            r.abort()

    def on_dialog(d: Any) -> None:
        v.dialogs.append(d.message)
        d.dismiss()

    page.route("**/*", route)
    page.on("console", lambda m: v.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: v.errors.append(str(e)))
    page.on("dialog", on_dialog)
    page.goto(url, wait_until=wait_until)
    return v
