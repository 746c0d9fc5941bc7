"""Shared by the browser benchmarks: launching Debian's Chromium headless, offline-safe."""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"  # Debian's package; never a downloaded browser
#: Without the background-networking flags Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Requests a benchmark page may make: the local server and what a page builds for itself.
LOCAL = ("http://127.0.0.1", "data:", "blob:")


def launch(playwright: Any) -> Any:
    """A headless Chromium browser from a ``sync_playwright()`` context."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def offline_page(
    browser: Any, blocked: list[str], *, allowed: tuple[str, ...] = LOCAL, **options: Any
) -> Any:
    """A new page that aborts every request outside ``allowed`` and records it in ``blocked``."""
    page = browser.new_page(**options)

    def route(r: Any) -> None:
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return page
