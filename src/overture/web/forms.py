"""Form posts → pydantic schemas, with errors an admin can read next to the form."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from overture.i18n import gettext as _
from overture.kit.errors import DomainError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _in_words(err: dict[str, Any]) -> str:
    """Pydantic's common messages in the page's language; our own checks speak for themselves."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return _("this field is required")
    if kind == "string_too_short":
        return _("at least %(n)s characters") % {"n": ctx.get("min_length")}
    if kind == "string_too_long":
        return _("at most %(n)s characters") % {"n": ctx.get("max_length")}
    if kind == "too_long":
        return _("at most %(n)s items") % {"n": ctx.get("max_length")}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("enter a whole number")
    if kind in ("greater_than_equal", "greater_than"):
        return _("must be at least %(n)s") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("must be at most %(n)s") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind in ("literal_error", "enum", "union_tag_invalid", "union_tag_not_found"):
        return _("choose one of the offered values")
    if kind == "extra_forbidden":
        return _("this field is not expected here")
    if kind in ("bool_type", "bool_parsing"):
        return _("choose yes or no")
    if kind in ("string_type", "list_type", "dict_type", "model_type", "model_attributes_type"):
        return _("the value is not of the expected kind")
    if kind == "string_pattern_mismatch":
        return _("the format is not valid")
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return _("enter a date like 2026-12-24")
    if kind == "value_error" and "email address" in err.get("msg", ""):
        return _("enter a valid email address")
    return err.get("msg", "invalid").removeprefix("Value error, ")


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        out.append({"field": loc, "msg": _in_words(err)})
    return out


def domain_errors(exc: DomainError) -> list[dict[str, str]]:
    """A refusal's details as form errors: validation details name a `loc`, the problems of
    SPEC §2.1 a `field`; a refusal without details is one error about the whole form."""
    out = []
    for d in exc.details if isinstance(exc.details, list) else []:
        if not isinstance(d, dict):
            continue
        if "loc" in d:
            out.append({"field": ".".join(str(p) for p in d["loc"]), "msg": d.get("msg", "")})
        elif "message" in d:
            out.append({"field": str(d.get("field", "")), "msg": str(d["message"])})
    return out or [{"field": "", "msg": exc.message}]


@dataclass
class Outcome(Generic[T]):
    """What a form's write came to: the service's result, or the errors to show beside the
    form (with the status to answer them with)."""

    value: T | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    status: int = 200
    error: DomainError | None = None

    @property
    def refused(self) -> bool:
        return bool(self.errors)


def attempt(db: Session, action: Callable[[], T]) -> Outcome[T]:
    """The one place a form's write meets a refusal: a domain error or a validation error
    becomes form errors, and whatever the attempt wrote is rolled back, so that showing the
    form again (and the request's commit) stores nothing of it."""
    try:
        return Outcome(action())
    except ValidationError as exc:
        db.rollback()
        return Outcome(errors=field_errors(exc), status=422)
    except DomainError as exc:
        db.rollback()
        return Outcome(errors=domain_errors(exc), status=exc.status, error=exc)


def submit(db: Session, schema: type[M], raw: dict[str, Any],
           action: Callable[[M], T]) -> Outcome[T]:
    """Parse a posted form with `schema`, then `attempt` the write with the parsed data."""
    data, errors = parse(schema, raw)
    if data is None:
        return Outcome(errors=errors, status=422)
    return attempt(db, lambda: action(data))


def labelled(errors: list[dict[str, str]], labels: Mapping[str, str], *,
             positions: Mapping[str, tuple[str, list[int]]] | None = None,
             messages: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """Field paths as the words beside the inputs: `labels` names the fields; `positions`
    turns a list item's index into the number the admin sees (a textarea line, a table row
    kept after empty ones were dropped: ("row %(n)s", [1, 3, 4])); `messages` replaces the
    message of a field whose rule is easier said in the page's own words.

    The words never show the path itself: a part without a label is left out (the message
    beside the field says the rest). Each error keeps its `path`, and `row` (the number the
    admin sees) for a list item, so that the page can mark the input (static/form-errors.js)."""
    positions, messages = positions or {}, messages or {}
    out = []
    for err in errors:
        path = err.get("field", "")
        parts = path.split(".") if path else []
        head = parts[0] if parts else ""
        words = [labels.get(head, head)] if parts else []
        row: int | None = None
        if head in positions and len(parts) > 1 and parts[1].isdigit():
            template, kept = positions[head]
            index = int(parts[1])
            row = kept[index] if index < len(kept) else index + 1
            words.append(template % {"n": row})
            words.extend(labels[p] for p in parts[2:] if p in labels)
        elif path in labels:
            words = [labels[path]]
        elif len(parts) > 1:
            words.extend(labels[p] for p in parts[1:] if p in labels)
        item = {"field": ", ".join(words), "path": path,
                "msg": messages.get(head, err.get("msg", ""))}
        if row is not None:
            item["row"] = str(row)
        out.append(item)
    return out


def one(form: dict[str, Any], key: str) -> str:
    """A single posted value; a field sent twice keeps the first, like a browser would."""
    value = form.get(key, "")
    return value if isinstance(value, str) else (value[0] if value else "")


def many(form: dict[str, Any], key: str) -> list[str]:
    value = form.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def parse(schema: type[M], data: dict[str, Any]) -> tuple[M | None, list[dict[str, str]]]:
    """A form posts text: "5" for a number, "on" for a box, converted here (`strict=False`)
    where a JSON body must send the type itself (kit/schemas.py `Closed`)."""
    try:
        return schema.model_validate(data, strict=False), []
    except ValidationError as exc:
        return None, field_errors(exc)


async def form_dict(request: Request) -> dict[str, Any]:
    """Single values as strings, repeated names (checkbox groups) as lists; no csrf_token."""
    form = await request.form()
    out: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        many = len(values) > 1 or key.endswith("[]")
        out[key] = values if many else (values[0] if values else "")
    return {k.removesuffix("[]"): v for k, v in out.items()}


# The posted form, read on the event loop before a sync handler runs in a thread: handlers that
# use the database are sync, so no query ever blocks the event loop.
PostedForm = Annotated[dict[str, Any], Depends(form_dict)]
