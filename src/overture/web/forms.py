"""Form posts → pydantic schemas, with errors an admin can read next to the form."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from overture.kit.errors import DomainError

M = TypeVar("M", bound=BaseModel)


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        out.append({"field": loc, "msg": msg})
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
