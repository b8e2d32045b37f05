"""Keyset pagination: a page ends at a row, and the next one starts just after it.

A cursor names the last row of a page by its sort key — a moment and an id (the tie-break) —
so the next page is `WHERE (at, id) < (cursor's at, cursor's id)` in the list's order. Unlike
an offset it never skips or repeats a row when rows are added before it, and costs the same on
page 1 and page 1,000. Cursors are opaque to clients: URL-safe base64 of the moment (ISO 8601,
UTC, microseconds) and the id.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from overture.i18n import gettext as _
from overture.kit.errors import Invalid
from overture.kit.ids import MAX_ID


@dataclass(frozen=True)
class Cursor:
    at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.at.astimezone(UTC).isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str, field: str = "cursor") -> Cursor:
        """The cursor a client sent back; a 422 naming `field` if it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            at_text, id_text = raw.split("|")
            at, row_id = datetime.fromisoformat(at_text), int(id_text)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise Invalid(field, _("not a cursor this list gave out"), code="bad_cursor") from None
        if at.tzinfo is None or not 1 <= row_id <= MAX_ID:
            raise Invalid(field, _("not a cursor this list gave out"), code="bad_cursor")
        return cls(at.astimezone(UTC), row_id)
