"""Every output goes through ``write_atomic``: a failure leaves the old file and no temp file."""

import errno
import stat
import sys
import time
from pathlib import Path

import pytest

from geo._io import check_output_dir, check_output_file, write_atomic
from geo.errors import OutputError
from geo.store.file import GeoJSONStore

needs_proc = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="/proc refuses new files on Linux only"
)


def _disk_fills_after(first: bytes):
    """Chunks for write_atomic: ``first`` reaches the real file, then the disk is full."""
    yield first
    raise OSError(errno.ENOSPC, "No space left on device")


def test_chunks_are_written_in_order(tmp_path):
    path = tmp_path / "out.html"
    write_atomic(path, (part for part in (b"<html>", b"body", b"</html>")))
    assert path.read_bytes() == b"<html>body</html>"


def test_full_disk_midway_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "map.html"
    path.write_bytes(b"the old map")
    path.chmod(0o640)
    with pytest.raises(OutputError, match="the disk is full") as info:
        write_atomic(path, _disk_fills_after(b"x" * 100_000))
    assert str(path) in str(info.value)
    assert path.read_bytes() == b"the old map"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_full_disk_midway_creates_no_file(tmp_path):
    with pytest.raises(OutputError, match="the disk is full"):
        write_atomic(tmp_path / "new.png", _disk_fills_after(b"\x89PNG"))
    assert list(tmp_path.iterdir()) == []


def test_a_folder_in_the_way_keeps_the_folder(tmp_path):
    (tmp_path / "out.svg").mkdir()
    with pytest.raises(OutputError, match="it is a folder"):
        write_atomic(tmp_path / "out.svg", b"<svg/>")
    assert (tmp_path / "out.svg").is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["out.svg"]


def test_check_output_file_accepts_a_new_nested_path_and_creates_nothing(tmp_path):
    check_output_file(tmp_path / "a" / "b" / "out.html")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda tmp: (tmp / "out.html").mkdir() or tmp / "out.html", "it is a folder"),
        (lambda tmp: (tmp / "f").write_text("x") and tmp / "f" / "out.html", "is a file"),
        (lambda tmp: Path("/dev/null"), "not a regular file"),
        pytest.param(lambda tmp: Path("/proc/x.html"), "cannot create files in", marks=needs_proc),
        pytest.param(
            lambda tmp: Path("/proc/new/x.html"), "cannot create files in", marks=needs_proc
        ),
    ],
)
def test_check_output_file_refuses(tmp_path, make, says):
    path = make(tmp_path)
    with pytest.raises(OutputError, match=says) as info:
        check_output_file(path)
    assert str(info.value).startswith(f"cannot write {str(path)!r}: ")
    assert "\n" not in str(info.value)


def test_check_output_dir(tmp_path):
    check_output_dir(tmp_path / "figures" / "2025")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="it is a file; give a folder"):
        check_output_dir(tmp_path / "file")


@needs_proc
def test_check_output_dir_refuses_proc():
    with pytest.raises(OutputError, match="cannot write '/proc/figs'"):
        check_output_dir(Path("/proc/figs"))


@needs_proc
def test_a_registry_lock_that_cannot_be_created_fails_at_once():
    store = GeoJSONStore("/proc/r.geojson", lock_timeout=30)
    started = time.monotonic()
    with pytest.raises(OutputError, match=r"cannot write '/proc/r\.geojson\.lock'"), store.locked():
        pass
    assert time.monotonic() - started < 5  # not the 30 s wait for a writer that does not exist
    with pytest.raises(OutputError, match=r"cannot write '/proc/r\.geojson'"):
        store.check_writable()


def test_a_new_registry_folder_is_made_for_its_lock(tmp_path):
    with GeoJSONStore(tmp_path / "new" / "sub" / "p.geojson").locked():
        assert (tmp_path / "new" / "sub" / "p.geojson.lock").exists()


def test_registry_lock_still_nests_and_releases(tmp_path):
    store = GeoJSONStore(tmp_path / "p.geojson", lock_timeout=1)
    with store.locked(), store.locked():
        pass
    with GeoJSONStore(tmp_path / "p.geojson", lock_timeout=1).locked():
        pass  # released: a second store object gets it at once


@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_new_outputs_follow_the_umask_and_replaced_ones_keep_their_mode(tmp_path, mask):
    """Map and snapshot files were written 0600 (mkstemp's mode); new ones follow the umask."""
    import os

    from typer.testing import CliRunner

    from geo.cli import app

    before = os.umask(mask)
    try:
        done = CliRunner().invoke(app, ["map", "-o", str(tmp_path / "m.html")])
        assert done.exit_code == 0, done.output
        assert stat.S_IMODE((tmp_path / "m.html").stat().st_mode) == 0o666 & ~mask
        (tmp_path / "m.html").chmod(0o604)
        assert CliRunner().invoke(app, ["map", "-o", str(tmp_path / "m.html")]).exit_code == 0
        assert stat.S_IMODE((tmp_path / "m.html").stat().st_mode) == 0o604
    finally:
        os.umask(before)
