"""The widget's scripts: GET /widget.js (the tiny loader) and GET /widget/app.js (the rest).

They are served minified (rjsmin) and, like every response, gzipped when the client accepts
it. They are public and cacheable by anyone: short max-age (a new release reaches host pages
within minutes), an ETag for cheap revalidation, and CORS open to every origin.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import rjsmin
from fastapi import APIRouter, Request, Response

STATIC = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class _Asset:
    mtime_ns: int
    body: bytes
    etag: str


_cache: dict[Path, _Asset] = {}


def _load(path: Path) -> _Asset:
    """The file's bytes and ETag, read again only when the file changes."""
    mtime = path.stat().st_mtime_ns
    asset = _cache.get(path)
    if asset is None or asset.mtime_ns != mtime:
        # Minified when served: the sources stay readable, host pages load less.
        body = rjsmin.jsmin(path.read_text(encoding="utf-8")).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        asset = _cache[path] = _Asset(mtime, body, etag)
    return asset


def _serve(request: Request, name: str) -> Response:
    asset = _load(STATIC / name)
    headers = {
        "Cache-Control": "public, max-age=300",
        "ETag": asset.etag,
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
    }
    candidates = {tag.strip().removeprefix("W/")
                  for tag in request.headers.get("if-none-match", "").split(",")}
    if asset.etag in candidates or "*" in candidates:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type="application/javascript; charset=utf-8",
                    headers=headers)


@router.get("/widget.js")
def loader(request: Request) -> Response:
    return _serve(request, "loader.js")


@router.get("/widget/app.js")
def app_js(request: Request) -> Response:
    return _serve(request, "app.js")
