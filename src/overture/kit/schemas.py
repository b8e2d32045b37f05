"""The base of every body the API, the forms and the widget accept."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from overture.i18n import gettext as _

# C0 controls and DEL, but tab, line feed and carriage return: no text a person types holds
# them, and PostgreSQL cannot store NUL at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same rule as a pattern the validator core checks itself (no Python call per field).
_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def text(max_length: int, min_length: int = 0):
    """A text field of a `Closed` body: bounded, and no control characters but tab and
    newlines, checked in the validator core (for bodies on the hot path)."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length,
                                            pattern=_NO_CONTROL)]


def has_control_characters(value: Any) -> bool:
    """Whether a text, or any text inside a list or a mapping, holds a control character."""
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if isinstance(value, dict):
        return any(has_control_characters(k) or has_control_characters(v)
                   for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_control_characters(item) for item in value)
    return False


def _refuse_control_characters(value: Any) -> Any:
    if has_control_characters(value):
        raise ValueError(control_message())
    return value


# For a value outside a Strict body (a query parameter): Annotated[str, TextOnly].
TextOnly = AfterValidator(_refuse_control_characters)


def control_message() -> str:
    """In the page's language, so looked up at the time of the refusal."""
    return _("must not contain control characters (such as NUL)")


class Closed(BaseModel):
    """Unknown fields are refused (422 naming them), never silently dropped: a misspelt field
    must not look saved. Its texts say their own rules (`text()`)."""

    model_config = ConfigDict(extra="forbid")


class Strict(Closed):
    """A closed body in which no text field takes control characters, whatever its type."""

    @model_validator(mode="after")
    def _no_control_characters(self) -> Strict:
        # One pass over the parsed fields, not a validator per field: this runs on every page
        # view. The slow path names each field that holds one.
        search = _CONTROL.search
        for value in self.__dict__.values():
            if type(value) is str:
                if search(value):
                    break
            elif value and has_control_characters(value):
                break
        else:
            return self
        message = control_message()
        raise ValidationError.from_exception_data(type(self).__name__, [
            InitErrorDetails(type=PydanticCustomError("control_characters", message),
                             loc=(name,), input=value)
            for name, value in self.__dict__.items() if has_control_characters(value)])
