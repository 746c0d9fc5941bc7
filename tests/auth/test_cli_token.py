"""``biomap token create|list|revoke`` against a file store in a temporary directory."""

from __future__ import annotations

import json
import re
import stat

import pytest
from typer.testing import CliRunner

from geo.cli import app

runner = CliRunner()
TOKEN = re.compile(r"bm_[A-Za-z0-9_-]{43}")


@pytest.fixture
def store(tmp_path) -> str:
    return str(tmp_path / "platforms.geojson")


def _run(*args: str):
    return runner.invoke(app, ["token", *args])


def _create(store: str, name: str = "ci", role: str = "editor") -> str:
    result = _run("create", "--role", role, "--name", name, "--store", store)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_create_prints_only_the_token_and_keeps_only_its_hash(store, tmp_path):
    result = _run("create", "--role", "editor", "--name", "ci", "-r", store)
    assert result.exit_code == 0, result.output
    assert TOKEN.fullmatch(result.stdout.strip())  # stdout is the token and nothing else
    assert "will not be shown again" in result.stderr
    assert result.stdout.strip() not in result.stderr
    tokens_file = tmp_path / "platforms.tokens.json"
    assert result.stdout.strip() not in tokens_file.read_text(encoding="utf-8")
    assert stat.S_IMODE(tokens_file.stat().st_mode) == 0o600


def test_list_shows_tokens_never_their_hashes(store, tmp_path):
    plaintext = _create(store, "ci", "editor")
    _create(store, "dashboard", "viewer")
    hashes = [row["hash"] for row in json.loads((tmp_path / "platforms.tokens.json").read_text())]
    table = _run("list", "-r", store)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "name", "role", "created", "revoked"]
    assert [line.split("\t")[1:3] for line in lines[1:]] == [
        ["ci", "editor"],
        ["dashboard", "viewer"],
    ]
    as_json = _run("list", "--format", "json", "-r", store)
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    assert [set(r) for r in rows] == [{"id", "name", "role", "created", "revoked"}] * 2
    for output in (table.output, as_json.output):
        assert plaintext not in output
        assert not any(h in output for h in hashes)


def test_revoke_by_name_then_by_id(store):
    _create(store, "ci")
    result = _run("revoke", "ci", "-r", store)
    assert result.exit_code == 0, result.output
    assert "revoked token" in result.stdout
    (row,) = json.loads(_run("list", "--format", "json", "-r", store).stdout)
    assert row["revoked"]
    again = _run("revoke", row["id"], "-r", store)
    assert again.exit_code == 0, again.output
    assert "already revoked" in again.stdout
    by_name = _run("revoke", "ci", "-r", store)  # no live token of that name any more
    assert by_name.exit_code == 2
    assert "no token with id or name 'ci'" in by_name.output


def test_revoke_an_ambiguous_name_asks_for_an_id(store):
    _create(store, "ci")
    _create(store, "ci")
    result = _run("revoke", "ci", "-r", store)
    assert result.exit_code == 2
    assert "give an id" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["create", "--role", "root", "--name", "x"],
        ["create", "--role", "viewer", "--name", ""],
        ["create", "--role", "viewer", "--name", "a" * 81],
        ["create", "--name", "x"],
        ["list", "--format", "csv"],
        ["revoke", "nobody"],
    ],
)
def test_bad_usage_exits_2_and_stores_nothing(store, tmp_path, args):
    result = _run(*args, "-r", store)
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "platforms.tokens.json").exists()


def test_unreadable_token_file_exits_3(store, tmp_path):
    (tmp_path / "platforms.tokens.json").write_text("{not json", encoding="utf-8")
    result = _run("list", "-r", store)
    assert result.exit_code == 3
    assert "cannot read tokens" in result.stderr


@pytest.mark.parametrize("command", ["create", "list", "revoke"])
def test_every_command_has_help_with_exit_codes(command):
    result = _run(command, "--help")
    assert result.exit_code == 0
    assert "Exit codes" in result.stdout
