"""The OpenAPI description (`/openapi.json`), made to tell the truth about errors.

FastAPI describes what a route answers when all goes well, and a 422 in its own shape. The
API answers more than that, always in one shape (`kit/errors.py`, rendered by app.py):

    {"error": {"code": "not_found", "message": "...", "details": ...}}

`install(app)` wraps `app.openapi()` so that every operation of the REST API (`/api/...`) and
of the widget API (`/widget/...`) lists the error answers it can give, read from what the
route is made of — so a route added later is described without anyone remembering to:

| answer | given by | documented on |
|---|---|---|
| 400 | a body that cannot be read; a staff token sent to the widget API | bodies, widget |
| 401 | no or a bad API token / session | operations that depend on `api_user` |
| 403 | a role that may not; CSRF; an origin the channel refuses | `api_admin`, unsafe, widget |
| 404 | an unknown id or channel key | operations with path parameters |
| 409 | a lifecycle action not offered; a write that lost a race | unsafe methods |
| 413 | a body over the limit (`BodyLimit`, any request) | every operation |
| 422 | a bad parameter or body, naming each field | operations with parameters or a body |
| 429 | rate limits (with `Retry-After`) | widget operations |

A route that can give another answer declares it the FastAPI way, `responses={401: {...}}`;
its content is filled in with the error shape here. Authenticated operations also declare
the security schemes (bearer token, session cookie).

The 405 handler installed here answers with `Allow` listing every method the path serves,
whichever route the router happened to try first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Match

from overture.deps import api_admin, api_user

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DESCRIBED_PREFIXES = ("/api/", "/widget/")

ERROR = "Error"
VALIDATION_ERROR = "ValidationFailed"


def _error_schema(title: str, description: str, code: str, details: dict) -> dict[str, Any]:
    return {
        "title": title,
        "description": description,
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "examples": [code]},
                "message": {"type": "string"},
                "details": details,
            },
        }},
    }


SCHEMAS: dict[str, dict[str, Any]] = {
    ERROR: _error_schema("Error", "Every error answer: a stable `code`, a message for people, "
                                  "and sometimes `details`.", "not_found", {}),
    VALIDATION_ERROR: _error_schema(
        "ValidationFailed", "A 422: `details` names each bad field by its path (`loc`), the "
                            "body's fields without a `body` prefix.", "validation_error",
        {"type": "array", "items": {
            "type": "object",
            "required": ["loc", "msg"],
            "additionalProperties": False,
            "properties": {
                "loc": {"type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                "msg": {"type": "string"},
                "type": {"type": "string"},
            },
        }}),
}

SECURITY_SCHEMES = {
    "token": {"type": "http", "scheme": "bearer",
              "description": "An API token (`overture create-token`); acts as its user."},
    "session": {"type": "apiKey", "in": "cookie", "name": "overture_session",
                "description": "The signed-in admin's session; unsafe methods also need the "
                               "`X-CSRF-Token` header."},
}

RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 0}}}


@dataclass(frozen=True)
class Operation:
    """What an operation is made of, as far as its error answers go."""

    path: str
    method: str
    calls: frozenset[Callable[..., Any]]
    has_parameters: bool
    has_body: bool

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def widget(self) -> bool:
        return self.path.startswith("/widget/")

    @property
    def authenticated(self) -> bool:
        return api_user in self.calls

    @property
    def has_path_parameters(self) -> bool:
        return "{" in self.path


# status → (when an operation can give it, what it means there)
Rule = tuple[Callable[[Operation], bool], Callable[[Operation], str]]
RULES: dict[int, Rule] = {
    400: (lambda op: op.widget or op.has_body,
          lambda op: "Bad request: the body could not be read"
          + (", or an Authorization header was sent: the widget API takes none "
             "(`token_not_accepted`)." if op.widget else ".")),
    401: (lambda op: op.authenticated,
          lambda op: "Not signed in: no session, or a missing, invalid or revoked API token."),
    403: (lambda op: op.widget or (op.api and (api_admin in op.calls or op.method in UNSAFE)),
          lambda op: "Forbidden: the origin is not allowed for this channel."
          if op.widget else
          "Forbidden: the caller's role may not do this, or (with a session) the CSRF "
          "token is missing."),
    404: (lambda op: op.has_path_parameters,
          lambda op: "Not found: no channel with this key, or nothing with this id "
                     "for this visitor." if op.widget else "Not found: no object with this id."),
    409: (lambda op: op.method in UNSAFE,
          lambda op: "Conflict: the action is not offered in the object's state, or the "
                     "change conflicts with data saved at the same moment."),
    413: (lambda op: True,
          lambda op: "Request body too large."),
    422: (lambda op: op.has_parameters or op.has_body,
          lambda op: "Invalid: `error.details` names each bad field."),
    429: (lambda op: op.widget,
          lambda op: "Too many requests from this address or visitor; see `Retry-After`."),
}


def install(app: FastAPI) -> None:
    """Describe every error answer in `app.openapi()`, and answer 405 with `Allow`."""
    plain_openapi = app.openapi  # builds the document again when routes are added
    described: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        doc = plain_openapi()
        if not described or described[0] is not doc:
            describe_errors(doc, app.routes)
            described[:] = [doc]
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_exception_handler(405, _method_not_allowed)


def describe_errors(doc: dict[str, Any], routes: list[BaseRoute]) -> None:
    """Add the error answers, the error schemas and the security schemes to `doc`."""
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {}).update(SCHEMAS)
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    for route, method in _operations(routes):
        op_doc = doc.get("paths", {}).get(route.path_format, {}).get(method.lower())
        if op_doc is None:
            continue
        op = Operation(
            path=route.path_format, method=method, calls=frozenset(_calls(route.dependant)),
            has_parameters=bool(op_doc.get("parameters")),
            has_body="requestBody" in op_doc)
        _describe(op, op_doc)
    _drop_unused_schemas(doc, ("HTTPValidationError", "ValidationError"))
    _name_components(doc)


def _describe(op: Operation, op_doc: dict[str, Any]) -> None:
    responses: dict[str, Any] = op_doc.setdefault("responses", {})
    if "422" in responses and not (op.has_parameters or op.has_body):
        del responses["422"]
    for status, (applies, meaning) in RULES.items():
        if applies(op):
            responses.setdefault(str(status), {"description": meaning(op)})
    for status, answer in responses.items():
        if status.startswith(("4", "5")) and (op.api or op.widget):
            _error_answer(int(status), answer)
    if op.authenticated:
        op_doc["security"] = [{"token": []}, {"session": []}]


def _error_answer(status: int, answer: dict[str, Any]) -> None:
    schema = VALIDATION_ERROR if status == 422 else ERROR
    content = answer.get("content") or {}
    # FastAPI's own 422 (HTTPValidationError) is not what this API answers: replaced.
    json_content = content.get("application/json") or {}
    ref = json_content.get("schema", {}).get("$ref", "")
    if not json_content.get("schema") or ref.endswith("/HTTPValidationError"):
        content["application/json"] = {"schema": {"$ref": f"#/components/schemas/{schema}"}}
    answer["content"] = content
    if status == 429:
        answer.setdefault("headers", {}).update(RETRY_AFTER)


def _operations(routes: list[BaseRoute]) -> Iterator[tuple[Any, str]]:
    """Each described route (as FastAPI sees it once included: full path, router-level
    dependencies) with each of its methods."""
    for route in iter_route_contexts(routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema \
                and (route.path_format or "").startswith(DESCRIBED_PREFIXES):
            for method in sorted(route.methods or ()):
                yield route, method


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _name_components(doc: dict[str, Any]) -> None:
    """A schema written inline with `"x-component": NAME` (e.g. a condition of a targeting
    rule, repeated at each level of the tree) becomes one named component, referred to."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})

    def visit(node: Any) -> Any:
        if isinstance(node, list):
            return [visit(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: visit(value) for key, value in node.items()}
        name = node.pop("x-component", None)
        if name is None:
            return node
        schemas.setdefault(name, node)
        return {"$ref": f"#/components/schemas/{name}"}

    doc["paths"] = visit(doc.get("paths", {}))
    for key in list(schemas):
        schemas[key] = visit(schemas[key])


def _drop_unused_schemas(doc: dict[str, Any], names: tuple[str, ...]) -> None:
    import json

    schemas = doc.get("components", {}).get("schemas", {})
    for name in names:
        if name not in schemas:
            continue
        others = {k: v for k, v in schemas.items() if k != name}
        text = json.dumps([doc.get("paths", {}), others])
        if f'"#/components/schemas/{name}"' not in text:
            del schemas[name]


# -- 405 -------------------------------------------------------------------------------------


def allowed_methods(routes: list[BaseRoute], scope: dict[str, Any]) -> list[str]:
    """Every method some route serves at this path (`Allow`), not only the first route's."""
    methods: set[str] = set()
    for route in iter_route_contexts(routes):
        if route.methods and route.matches(scope)[0] is not Match.NONE:
            methods |= set(route.methods)
    return sorted(methods)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    app = request.app
    render = app.exception_handlers[StarletteHTTPException]
    response = await render(request, exc)
    allow = allowed_methods(app.router.routes, dict(request.scope, method="GET"))
    if allow:
        response.headers["Allow"] = ", ".join(allow)
    return response
