"""A throwaway PostgreSQL + PostGIS cluster for the tests (initdb, pg_ctl, a unix socket).

The cluster lives in a ``mktemp -d`` directory, listens only on a unix socket there
(``listen_addresses=''``), trusts local connections and runs without fsync: it is data to throw
away. ``initdb`` refuses to run as root, so under root every server command runs as the
``postgres`` user (the directory is chowned to it). :func:`find_bindir` fails loudly, naming
``scripts/setup.sh``, when PostgreSQL or PostGIS is not installed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

SETUP_HINT = "run scripts/setup.sh (it installs postgresql-15-postgis-3 with apt-get)"

#: Server settings: fast and disposable, tiny, socket only.
SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "60",
    "log_min_messages": "warning",
}


def find_bindir() -> Path:
    """The PostgreSQL server binaries (``initdb``, ``pg_ctl``); raise if PostGIS is missing."""
    candidates = []
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            sharedir = _sharedir(bindir)
            if not (sharedir / "extension" / "postgis.control").exists():
                raise RuntimeError(f"PostGIS is not installed for {bindir}; {SETUP_HINT}")
            return bindir
    raise RuntimeError(f"PostgreSQL server binaries (initdb, pg_ctl) not found; {SETUP_HINT}")


def _sharedir(bindir: Path) -> Path:
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        out = subprocess.run([pg_config, "--sharedir"], capture_output=True, text=True, check=True)
        return Path(out.stdout.strip())
    return Path("/usr/share/postgresql") / bindir.parent.name


class Cluster:
    """One PostgreSQL cluster in a temporary directory; :meth:`start`, :meth:`stop`, :meth:`remove`."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="biomap-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 5432  # only names the socket file: the directory is private
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            ["initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N", "-E", "UTF8"]
        )
        conf = "".join(f"{k} = {v}\n" for k, v in SETTINGS.items())
        conf += f"unix_socket_directories = '{self.root}'\nport = {self.port}\n"
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as fh:
            fh.write(conf)

    def _run(self, argv: list[str]) -> None:
        argv = [str(self.bindir / argv[0]), *argv[1:]]
        if self._as_root:
            argv = ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(argv)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=self.root)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{shlex.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log}"
            )

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL for ``dbname`` over the cluster's socket."""
        return f"postgresql://postgres@/{dbname}?host={self.root}&port={self.port}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run(["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start"])

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are disconnected)."""
        self._run(["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def running(self) -> bool:
        """True while the server's pid file exists."""
        return (self.data / "postmaster.pid").exists()

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        """Run one statement as the superuser, outside any transaction."""
        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def remove(self) -> None:
        """Stop the server if it runs, and delete the directory."""
        try:
            if self.running():
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
