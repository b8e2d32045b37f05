"""Form posts → pydantic schemas, with errors an admin can read next to the form."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from overture.i18n import gettext as _
from overture.kit.errors import DomainError

M = TypeVar("M", bound=BaseModel)


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
    if kind in ("literal_error", "enum"):
        return _("choose one of the offered values")
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
    if isinstance(exc.details, list):
        return [{"field": ".".join(str(p) for p in d.get("loc", [])), "msg": d.get("msg", "")}
                for d in exc.details if isinstance(d, dict)]
    return [{"field": "", "msg": exc.message}]


def parse(schema: type[M], data: dict[str, Any]) -> tuple[M | None, list[dict[str, str]]]:
    try:
        return schema.model_validate(data), []
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
