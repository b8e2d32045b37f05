"""Argon2 password hashes and random API tokens (stored hashed, shown once).

How much a new password hash costs is the `password_hash_profile` setting: "production" is
argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB, 3 passes, 4 lanes); "test" is
the cheapest Argon2 there is, for test suites, which log in hundreds of times. A hash carries its
own parameters, so verifying follows the hash, whichever profile is in use.

The profile is read from the settings when the first password is hashed or checked; a process
that builds its settings itself (the tests) calls `use_profile` first.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from overture.config import get_settings

TOKEN_PREFIX = "ovt_"


def hasher_for(profile: str) -> PasswordHasher:
    """The hasher of a `password_hash_profile`."""
    if profile == "production":
        return PasswordHasher()  # argon2-cffi's defaults
    if profile == "test":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    raise ValueError(f"unknown password hash profile {profile!r}")


class _Hashing:
    def __init__(self, profile: str) -> None:
        self.hasher = hasher_for(profile)
        # A real hash to verify against when the user does not exist, so timing does not tell.
        self.dummy = self.hasher.hash("not-a-real-password")


_current: _Hashing | None = None


def use_profile(profile: str) -> None:
    """Hash passwords with `profile` from now on, in this process."""
    global _current
    _current = _Hashing(profile)


def _hashing() -> _Hashing:
    global _current
    if _current is None:
        _current = _Hashing(get_settings().password_hash_profile)
    return _current


def hash_password(password: str) -> str:
    return _hashing().hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hashing = _hashing()
    try:
        return hashing.hasher.verify(password_hash or hashing.dummy, password) and bool(
            password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # API tokens are long random strings: a fast hash is enough, and lookups stay indexable.
    return hashlib.sha256(token.encode()).hexdigest()


def new_key(nbytes: int = 12) -> str:
    return secrets.token_urlsafe(nbytes).replace("-", "x").replace("_", "y")
