"""Reusable text field types. Text is stored as typed and escaped wherever it is shown."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from overture.i18n import gettext as _
from overture.kit.schemas import NOT_BLANK


def _no_control_chars(value: str) -> str:
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise ValueError(_("must not contain control characters"))
    return value


PlainName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(_no_control_chars),
    Field(json_schema_extra={"pattern": NOT_BLANK}),  # not blank once stripped
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=80), AfterValidator(_no_control_chars)
]
