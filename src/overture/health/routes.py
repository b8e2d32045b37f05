"""/healthz: the process answers. /readyz: it can serve (database, and Redis when used)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from overture.health import service

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and its event loop answers; nothing else is checked."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a dependency is unavailable"}})
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and, when Redis is configured, the hub's link to
    it is up. 503 names what is missing, so a load balancer stops sending traffic here."""
    app = request.app
    checks = {
        "database": await service.check_database(app.state.db),
        "redis": await service.check_hub(app.state.hub, bool(app.state.settings.redis_url)),
    }
    ready = all(v in ("ok", "not used") for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", **checks},
                        status_code=200 if ready else 503)
