"""geo.auth: tokens are shown once and kept as SHA-256 hashes; roles are ordered."""

from __future__ import annotations

import hashlib
import secrets

import pytest

from geo.auth import ROLES, authenticate, create_token, has_role, hash_token
from geo.errors import TokenError
from geo.store import open_store


@pytest.fixture
def tokens(tmp_path):
    """The real file token store beside a (not yet written) registry in ``tmp_path``."""
    return open_store(tmp_path / "platforms.geojson").tokens()


def test_create_returns_the_plaintext_once_and_keeps_only_its_hash(tokens):
    plaintext, record = create_token(tokens, name="ci-deploy", role="editor")
    assert plaintext.startswith("bm_")
    assert len(plaintext) == 46  # bm_ + 43 base64url characters: 256 random bits
    assert record.hash == hashlib.sha256(plaintext.encode()).hexdigest() == hash_token(plaintext)
    assert (record.name, record.role, record.revoked) == ("ci-deploy", "editor", None)
    assert tokens.all() == [record]
    text = tokens.path.read_text(encoding="utf-8")
    assert plaintext not in text
    assert plaintext.removeprefix("bm_") not in text
    assert record.hash in text


def test_tokens_are_distinct(tokens):
    a, ra = create_token(tokens, name="a", role="viewer")
    b, rb = create_token(tokens, name="a", role="viewer")
    assert a != b
    assert ra.id != rb.id


def test_authenticate_known_unknown_and_revoked(tokens):
    plaintext, record = create_token(tokens, name="数据组", role="admin")
    assert authenticate(tokens, plaintext) == record
    assert authenticate(tokens, "bm_" + secrets.token_urlsafe(32)) is None
    tokens.revoke(record.id)
    revoked = authenticate(tokens, plaintext)
    assert revoked is not None
    assert revoked.id == record.id
    assert revoked.revoked


@pytest.mark.parametrize(
    "plaintext", ["", "bm_", "bm_short", "xx_" + "a" * 43, "bm_" + "a" * 42 + "!", "bm_" + "a" * 44]
)
def test_malformed_tokens_are_unknown(tokens, plaintext):
    create_token(tokens, name="x", role="viewer")
    assert authenticate(tokens, plaintext) is None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("needed", ROLES)
def test_roles_are_ordered(tokens, role, needed):
    _, record = create_token(tokens, name="r", role=role)
    assert has_role(record, needed) is (ROLES.index(role) >= ROLES.index(needed))


def test_a_revoked_token_has_no_role(tokens):
    _, record = create_token(tokens, name="r", role="admin")
    assert not has_role(tokens.revoke(record.id), "viewer")


def test_has_role_rejects_an_unknown_role(tokens):
    _, record = create_token(tokens, name="r", role="admin")
    with pytest.raises(TokenError, match="unknown role 'root'"):
        has_role(record, "root")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("a" * 81, "at most 80"),
        ("bad\nname", "control characters"),
        ("tab\there", "control characters"),
        (" lead", "leading or trailing"),
        ("tk_0123456789ab", "looks like a token id"),
    ],
)
def test_invalid_names_are_refused_and_nothing_is_stored(tokens, name, reason):
    with pytest.raises(TokenError, match=reason):
        create_token(tokens, name=name, role="viewer")
    assert tokens.all() == []


def test_an_unknown_role_is_refused(tokens):
    with pytest.raises(TokenError, match="use one of viewer, editor, admin"):
        create_token(tokens, name="x", role="root")
    assert tokens.all() == []


def test_longest_name_is_accepted(tokens):
    _, record = create_token(tokens, name="n" * 80, role="viewer")
    assert record.name == "n" * 80
