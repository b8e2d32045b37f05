"""The base of every body the API, the forms and the widget accept."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

from overture.i18n import gettext as _

# C0 controls and DEL, but tab, line feed and carriage return: no text a person types holds
# them, and PostgreSQL cannot store NUL at all.
CONTROL_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_CONTROL = re.compile(f"[{CONTROL_CLASS}]")
# The same rule as a pattern the validator core checks itself (no Python call per field), and
# the one every text of a Strict body carries in the OpenAPI description.
_NO_CONTROL = rf"^[^{CONTROL_CLASS}]*$"
NO_CONTROL = _NO_CONTROL
# What `str.strip()` removes, but the control characters (refused anyway).
SPACE_CLASS = r"\t\n\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A text that is not blank once stripped, without control characters: the description of
# `strip_whitespace=True, min_length=1` (JSON Schema has no "strip").
NOT_BLANK = rf"^[^{CONTROL_CLASS}]*[^{CONTROL_CLASS}{SPACE_CLASS}][^{CONTROL_CLASS}]*$"


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


class _TextOnly:
    """Refuses control characters, and says so in the description (`pattern`)."""

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(_refuse_control_characters,
                                                            handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        _say_no_control(handler.resolve_ref_schema(json_schema))
        return json_schema


# For a value outside a Strict body (a query parameter): Annotated[str, TextOnly].
TextOnly = _TextOnly()


def control_message() -> str:
    """In the page's language, so looked up at the time of the refusal."""
    return _("must not contain control characters (such as NUL)")


def _whole_number(value: Any) -> Any:
    """JSON Schema's `integer` is any number without a fraction: 92.0 is 92."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


# Schemas a field's own schema may be wrapped in, on the way to its type.
_WRAPPERS = {"default", "nullable", "function-after", "function-before", "function-wrap"}


def _whole_numbers_for_integers(schema: Any) -> None:
    """Let each integer field of this model take a number without a fraction (`92.0`) as JSON
    Schema does; still no `true`, no `"92"`. Only the model's own fields: nested models are
    Closed too, or say their own rules."""
    while schema.get("type") in ("definitions", *_WRAPPERS):
        schema = schema["schema"]
    fields = schema.get("schema", {}).get("fields", {}) if schema.get("type") == "model" else {}
    for field in fields.values():
        holder, key = field, "schema"
        while holder[key].get("type") in _WRAPPERS:
            holder, key = holder[key], "schema"
        if holder[key].get("type") == "int":
            holder[key] = core_schema.no_info_before_validator_function(_whole_number,
                                                                        holder[key])


class Closed(BaseModel):
    """Unknown fields are refused (422 naming them), never silently dropped: a misspelt field
    must not look saved. Its texts say their own rules (`text()`).

    Types are strict, as the OpenAPI description says: a JSON body's `0` is no boolean, `true`
    no number and `"5"` no integer. Forms post text, so `web/forms.py` parses them with
    `strict=False`, which converts "5" for an integer field as a form needs."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any,
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = handler(source)
        _whole_numbers_for_integers(schema)
        return schema


class Strict(Closed):
    """A closed body in which no text field takes control characters, whatever its type; its
    OpenAPI description says so (`pattern`) for each text, and for the keys of mappings."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(core_schema)
        for prop in handler.resolve_ref_schema(json_schema).get("properties", {}).values():
            _say_no_control(prop)
        return json_schema

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


def _say_no_control(schema: Any) -> None:
    """Add the no-control-character pattern to every text in `schema` that states no rule of
    its own (a pattern, a choice, a format); nested models describe themselves."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(schema):
        schema["pattern"] = NO_CONTROL
    if schema.get("type") == "string" and schema.get("format") == "email":
        for key, rule in EMAIL_RULES.items():  # email-validator's rules beyond the format
            schema.setdefault(key, rule)
    if schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), dict):
        schema.setdefault("propertyNames", {"pattern": NO_CONTROL})
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, ()):
            _say_no_control(branch)
    for key in ("items", "additionalProperties"):
        _say_no_control(schema.get(key))


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in word)


# email-validator's rules beyond `format: email`: a dot in the domain, and none of the
# special-use names (RFC 6761) at its end.
EMAIL_RULES: dict[str, Any] = {
    "pattern": r"@[^@]+\.[^@]+$",
    "not": {"pattern": r"(^|[.@])(" + "|".join(
        _any_case(name) for name in ("arpa", "invalid", "local", "localhost", "onion", "test"))
        + r")\.?$"},
}


def rule_broken(message: str) -> PydanticCustomError:
    """A refusal by a rule between fields or items (start before end, no overlaps), which no
    JSON Schema can state: a 422 whose detail has the type `cross_field`."""
    return PydanticCustomError("cross_field", message)


def described(pattern: str) -> Any:
    """A text whose validator is Python code: the OpenAPI description of what it accepts."""
    return Field(json_schema_extra={"pattern": pattern})


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    elif isinstance(value, date):
        return value
    raise PydanticCustomError("date_parsing", _("enter a date like 2026-12-24"))


# A calendar day written as its description says, `format: date` (YYYY-MM-DD): not a number of
# seconds since 1970, nor a moment.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
