"""Run `biomap serve` (uvicorn) as a real process on 127.0.0.1, on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIOMAP = Path(sys.executable).with_name("biomap")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``biomap serve``: its base URL, process and log file."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs (a crash, a power cut of the process)."""
        self.proc.kill()
        self.proc.wait(timeout=10)


def wait_until_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60):
    """Poll ``/healthz`` until 200; fail with the server's log if it exits or never answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"biomap serve did not start:\n{log.read_text()}")
        time.sleep(0.2)


@contextmanager
def serving(log_dir: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``biomap serve --host 127.0.0.1 --port P ARGS`` until the block ends (then SIGTERM)."""
    port = free_port()
    log = log_dir / f"serve-{port}.log"
    cmd = [str(BIOMAP), "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--log-level", "warning", *args]
    full_env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", **(env or {})}
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, env=full_env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(url, proc, log)
        yield Server(url, proc, log)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)


def new_platform(**props: object) -> dict:
    """A new platform Feature as an editor posts it (no point: the address is geocoded offline)."""
    base = {
        "name_zh": "测试共享仪器平台",
        "name_en": "Test instrument platform",
        "host_zh": "测试大学",
        "type": "basic_condition",
        "sub_kind": "instrument_sharing",
        "fields": ["drug_rnd"],
        "supporting_unit": "university",
        "level": "municipal",
        "address_zh": "广州市黄埔区开源大道190号",
        "source": "test: an editor through the API",
        "source_date": "2026-12-03",
        "verification": "unverified",
    }
    return {"type": "Feature", "geometry": None, "properties": base | props}


def seed(location: str, *, name: str = "alice") -> dict[str, str]:
    """Put the shipped registry into store ``location``; an editor's auth header for it."""
    from geo.store import DEFAULT_REGISTRY, open_store
    from tests.auth_tokens import issue_token

    with open_store(location) as store:
        store.save(open_store(DEFAULT_REGISTRY).load(), actor="import")
        token = issue_token(store, role="editor", name=name)
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/geo+json"}
