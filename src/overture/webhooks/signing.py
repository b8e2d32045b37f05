"""How a delivery is signed, and how a receiver checks it (docs/webhooks.md).

`Overture-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`.
The timestamp is signed with the body, so a receiver can refuse an old message replayed.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Overture-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: the header's timestamp is recent and its v1 matches."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))
