"""Password hashes: production keeps argon2-cffi's defaults; the test suite's cheap profile
verifies every hash all the same, since a hash carries its own parameters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from overture.config import Settings
from overture.kit import passwords
from tests.conftest import TEST_SETTINGS

PRODUCTION_PREFIX = "$argon2id$v=19$m=65536,t=3,p=4$"


@pytest.fixture
def profile() -> Iterator[None]:
    """Whatever a test sets, the suite's profile is back afterwards."""
    yield
    passwords.use_profile(TEST_SETTINGS["password_hash_profile"])


def test_production_is_the_default_setting(monkeypatch):
    monkeypatch.delenv("OVERTURE_PASSWORD_HASH_PROFILE", raising=False)
    assert Settings(secret_key="k" * 48).password_hash_profile == "production"
    monkeypatch.setenv("OVERTURE_PASSWORD_HASH_PROFILE", "test")
    assert Settings(secret_key="k" * 48).password_hash_profile == "test"


def test_production_hashes_with_the_library_defaults_and_every_profile_verifies(profile):
    passwords.use_profile("production")
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith(PRODUCTION_PREFIX)
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "wrong horse battery")

    # Tests hash cheaply, yet a production hash still verifies: its parameters are in it.
    passwords.use_profile("test")
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "wrong horse battery")


def test_the_test_profile_is_cheap_and_verifies_like_production(profile):
    passwords.use_profile("test")
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "wrong horse battery")
    assert passwords.hasher_for("production").verify(stored, "correct horse battery")


@pytest.mark.parametrize("name", ["production", "test"])
def test_no_user_or_a_broken_hash_never_signs_in(profile, name):
    passwords.use_profile(name)
    assert not passwords.verify_password(None, "not-a-real-password")
    assert not passwords.verify_password("", "not-a-real-password")
    assert not passwords.verify_password("$argon2id$garbage", "anything")


def test_an_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="cheap"):
        passwords.hasher_for("cheap")


def test_production_refuses_the_test_profile():
    with pytest.raises(ValidationError, match="PASSWORD_HASH_PROFILE"):
        Settings(environment="production", secret_key="k" * 48, password_hash_profile="test")
