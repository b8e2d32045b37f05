"""Argon2 password hashes and random API tokens (stored hashed, shown once)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A real hash to verify against when the user does not exist, so timing does not tell.
_DUMMY = _hasher.hash("not-a-real-password")

TOKEN_PREFIX = "ovt_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # API tokens are long random strings: a fast hash is enough, and lookups stay indexable.
    return hashlib.sha256(token.encode()).hexdigest()


def new_key(nbytes: int = 12) -> str:
    return secrets.token_urlsafe(nbytes).replace("-", "x").replace("_", "y")
