"""What webhooks cost the page view: one `overture serve` on SQLite measured without a
webhook, then (restarted on the same data) with one webhook taking every event, sent by the
server's own worker to a bare receiver while the page views go on; and how far the worker
kept up."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from bench import servers
from bench.run import Run, progress
from bench.widget_api import _row, _site

ALLOW = {"OVERTURE_WEBHOOKS_ALLOW_PRIVATE": "true"}


def _add_webhook(url: str, receiver: str) -> None:
    from overture.db import Database
    from overture.webhooks.models import EVENT_TYPES
    from overture.webhooks.schemas import WebhookIn
    from overture.webhooks.service import create_webhook
    from overture.wiring import connect

    connect()
    database = Database(url)
    try:
        with database.unit_of_work() as db:
            create_webhook(db, WebhookIn(url=receiver, events=list(EVENT_TYPES)),
                           allow_private=True)
    finally:
        database.dispose()


def _outbox(url: str) -> dict[str, int]:
    from overture.db import Database
    from overture.webhooks.models import WebhookDelivery as D

    database = Database(url)
    try:
        with database.sessions() as db:
            return dict(db.execute(select(D.status, func.count()).group_by(D.status)).all())
    finally:
        database.dispose()


def bench_webhooks(run: Run) -> dict:
    o = run.options
    args = ["KEY", str(o.visitors)]
    progress("webhooks: bare baseline")
    base = run.measure(run.baseline().url, "pageviews.lua", args)
    rows = [{"server": "bare Starlette (baseline)", **base.as_dict(), "server_errors": []}]
    with servers.sqlite_database() as url:
        key = _site(url, o.typical_messages, o.visitors, catch_all=True)
        progress("webhooks: page views, no webhook")
        with servers.overture("SQLite, no webhook", url, run.where, ALLOW) as server:
            result = run.measure(server.url, "pageviews.lua", [key, str(o.visitors)])
            rows.append(_row("no webhook", server, result, messages=o.typical_messages))
        # The receiver answers 200 at once: the bare baseline takes any POST.
        _add_webhook(url, run.baseline().url + "/hook")
        progress("webhooks: page views, one webhook, no worker (the outbox only grows)")
        with servers.overture("SQLite, webhook, no worker", url, run.where,
                              {**ALLOW, "OVERTURE_WEBHOOK_WORKER": "false"}) as server:
            result = run.measure(server.url, "pageviews.lua", [key, str(o.visitors)])
            rows.append(_row("one webhook, no worker", server, result,
                             messages=o.typical_messages))
        progress("webhooks: page views, one webhook taking every event")
        with servers.overture("SQLite, webhook", url, run.where, ALLOW) as server:
            result = run.measure(server.url, "pageviews.lua", [key, str(o.visitors)])
            rows.append(_row("one webhook, every event", server, result,
                             messages=o.typical_messages))
            at_end = _outbox(url)
            waited = 0.0
            while _outbox(url).get("pending") and waited < 120:
                time.sleep(0.5)
                waited += 0.5
            drained = _outbox(url)
    for row in rows:
        row["vs_baseline"] = row["rps"] / base.rps
    return {"rows": rows, "outbox_at_end": at_end, "outbox_drained": drained,
            "drain_seconds": waited}
