"""Domain errors: each carries an HTTP status and a stable code.

One handler (see app.py) renders them as JSON for the API and as a message for the pages.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": {"code": self.code, "message": self.message}}
        if self.details is not None:
            body["error"]["details"] = self.details
        return body


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Invalid(DomainError):
    """A value that parses but breaks a rule the schema cannot express."""

    status = 422
    code = "invalid"

    def __init__(self, field: str | tuple, message: str, code: str | None = None):
        loc = [field] if isinstance(field, str) else list(field)
        super().__init__(message, code=code, details=[{"loc": loc, "msg": message}])


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int = 60):
        super().__init__(message)
        self.retry_after = retry_after
