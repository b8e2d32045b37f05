"""The bare baseline: a Starlette app whose one POST route parses the JSON body and answers
as many bytes of JSON as a page-view decision, served by uvicorn with the settings
`overture serve` uses. What a page view costs beyond this is Overture's own work.

    python -m bench.baseline --port 8123
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# Shaped like a decision that shows a message: with the visitor id echoed, ~350 bytes, about a
# real one's size when it shows a message (~110 bytes when it shows none).
SHOW = {
    "delivery_id": 123456, "message_id": 42, "version": 1,
    "text": [{"text": "Questions about plans? Ask us."}],
    "plain_text": "Questions about plans? Ask us.",
    "sender": {"name": "Acme Support", "avatar_url": "", "kind": "agent"},
    "response": {"type": "agent"}, "repeat": False,
}


async def answer(request: Request) -> JSONResponse:
    body = await request.json()
    return JSONResponse({"visitor_id": body.get("visitor_id", ""), "visit_id": 1234567,
                         "page_view_id": 7654321, "show": SHOW, "pending": []})


app = Starlette(routes=[Route("/{path:path}", answer, methods=["POST"])])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The same call as `overture serve` (src/overture/cli.py), minus the app.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning",
                proxy_headers=True, ws="websockets-sansio")
