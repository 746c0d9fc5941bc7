"""Every notebook runs top to bottom against a real uvicorn server on 127.0.0.1.

A notebook names the city its server must serve in its metadata (``biomap.city``; the default
city otherwise): ``prd_region.ipynb`` needs ``BIOMAP_CITY=prd``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import nbformat
import pytest
import uvicorn
from nbclient import NotebookClient

from api.app import create_app
from api.settings import Settings

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serving(city: str | None) -> Iterator[str]:
    port = _free_port()
    settings = Settings(city=city) if city else Settings()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        srv.should_exit = True
        raise RuntimeError(f"uvicorn did not answer on {url} within 60 s")
    try:
        yield url
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_there_is_a_notebook():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has stored outputs"
            assert cell.execution_count is None


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_against_the_api(path: Path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    with _serving(nb.metadata.get("biomap", {}).get("city")) as server:
        monkeypatch.setenv("BIOMAP_API_URL", server)  # the kernel inherits the environment
        client = NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
        client.execute()  # raises CellExecutionError with the failing cell's traceback
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert f"API: {server}" in text  # it talked to the server this test started
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "the notebook draws no chart"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_without_a_server_says_how_to_start_one(path: Path, monkeypatch):
    monkeypatch.setenv("BIOMAP_API_URL", f"http://127.0.0.1:{_free_port()}")  # nothing listens
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "error"]  # fmt: skip
    assert errors
    assert errors[0]["ename"] == "RuntimeError"  # not a raw ConnectError
    assert "biomap serve" in errors[0]["evalue"]
