"""The wheel carries every package and the data, so a plain install serves from any folder."""

import json
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_in_pyproject():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("geo", "api")
        for p in (ROOT / top).rglob("__init__.py")
        if "node_modules" not in p.parts
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert "biomap_data" in listed


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_plain_install_serves_from_another_folder(tmp_path):
    """`pip install .` (not editable) into a folder, then serve from elsewhere: data comes along."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c", "import geo, api; print(geo.__file__); print(geo.DATA_DIR)"],
        check=True,
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert all(p.startswith(str(target)) for p in probe), probe
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError((tmp_path / "server.log").read_text())
        density = httpx.get(f"{base}/stats/density?layer=districts", timeout=30)
        assert density.status_code == 200
        shipped = json.loads((ROOT / "data" / "platforms.geojson").read_text(encoding="utf-8"))
        assert density.json()["totals"]["count"] == len(shipped["features"])
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
