"""Load on the widget API of a real `overture serve`: page views (SQLite with 10, 100 and 1,000
live messages; PostgreSQL + Redis), the stall after a burst, and widget events."""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench import servers
from bench.run import Run, progress
from bench.setup import build_site, fill_visitors


def _site(url: str, messages: int, visitors: int, *, catch_all: bool = False) -> str:
    from overture.cli import migrate

    migrate(url)
    key = build_site(url, messages, catch_all=catch_all)
    fill_visitors(url, visitors, channel_key=key)
    return key


def _page_view(visitor: str, url: str = "https://shop.example/pricing") -> dict:
    return {"visitor_id": visitor, "session_id": "s" + visitor,
            "event_id": "ev" + secrets.token_hex(8), "url": url, "title": "Pricing — Acme",
            "language": "en-US"}


def _row(name: str, server: servers.Server, result, **extra) -> dict:
    return {"server": name, **extra, **result.as_dict(), "server_errors": server.errors()[:20]}


def bench_page_views(run: Run) -> dict:
    o = run.options

    def args(key: str) -> list[str]:
        return [key, str(o.visitors)]

    progress("page views: bare baseline")
    before = run.measure(run.baseline().url, "pageviews.lua", args("KEY"))
    rows = [{"server": "bare Starlette (baseline), first", **before.as_dict(),
             "server_errors": []}]
    stall = None
    for n in o.messages:
        progress(f"page views: SQLite, {n:,} live messages, {o.visitors:,} known visitors")
        with servers.sqlite_database() as url:
            key = _site(url, n, o.visitors)
            with servers.overture(f"SQLite {n}", url, run.where) as server:
                result = run.measure(server.url, "pageviews.lua", args(key))
                if n == o.typical_messages:
                    progress("stall check: 64 connections for 3 s, then one page view")
                    stall = stall_check(server, key, o.visitors)
                rows.append(_row("overture serve, SQLite", server, result, messages=n))
    pg: dict = {"skipped": None}
    progress(f"page views: PostgreSQL + Redis, {o.typical_messages} live messages")
    try:
        with servers.postgres_and_redis(o.postgres, o.redis) as (url, env):
            key = _site(url, o.typical_messages, o.visitors)
            with servers.overture("PostgreSQL", url, run.where, env) as server:
                result = run.measure(server.url, "pageviews.lua", args(key))
                rows.append(_row("overture serve, PostgreSQL + Redis", server, result,
                                 messages=o.typical_messages))
    except servers.Unavailable as exc:
        pg["skipped"] = str(exc)
    # Measured again last: on a shared machine the two differ when a neighbour was busy.
    progress("page views: bare baseline again")
    after = run.measure(run.baseline().url, "pageviews.lua", args("KEY"))
    rows.append({"server": "bare Starlette (baseline), last", **after.as_dict(),
                 "server_errors": []})
    base_rps = (before.rps + after.rps) / 2
    for row in rows:
        row["vs_baseline"] = row["rps"] / base_rps
    return {"rows": rows, "stall": stall, "postgres": pg, "baseline_rps": base_rps,
            "baseline_spread": abs(before.rps - after.rps) / base_rps}


def stall_check(server: servers.Server, key: str, visitors: int) -> dict:
    """A burst of 64 connections that stops at once; then, how long one page view waits.
    A server that queued the burst's work behind a lock makes the next visitor wait for it."""
    from bench.load import wrk

    def timed(client: httpx.Client) -> tuple[float, int]:
        start = time.perf_counter()
        try:
            status = client.post(path, json=_page_view("stall" + secrets.token_hex(8))).status_code
        except httpx.TimeoutException:
            status = 0
        return (time.perf_counter() - start) * 1000, status

    path = f"/widget/v1/{key}/page-views"
    # Connected beforehand, so the figure holds no connection set-up.
    with httpx.Client(base_url=server.url, timeout=20) as client:
        timed(client)
        burst = wrk(server.url, "pageviews.lua", [key, str(visitors)], seconds=3,
                    connections=64)
        first_ms, first_status = timed(client)
        after = sorted(timed(client)[0] for _ in range(5))
    return {"burst": burst.as_dict(), "first_ms": first_ms, "first_status": first_status,
            "next_ms": after[2], "target_ms": 100}


def make_deliveries(base_url: str, key: str, n: int) -> list[tuple[str, int]]:
    """`n` page views from new visitors, each showing a message: (visitor, delivery) pairs."""
    def one(i: int) -> tuple[str, int] | None:
        visitor = f"evt{secrets.token_hex(4)}{i:09d}"
        answer = client.post(f"/widget/v1/{key}/page-views", json=_page_view(visitor))
        answer.raise_for_status()
        show = answer.json()["show"]
        return (visitor, show["delivery_id"]) if show else None

    with httpx.Client(base_url=base_url, timeout=60) as client, ThreadPoolExecutor(8) as pool:
        made = [pair for pair in pool.map(one, range(n)) if pair]
    if not made:
        raise RuntimeError("no page view showed a message; nothing to send events about")
    return made


def bench_events(run: Run) -> dict:
    o = run.options
    progress(f"events: SQLite, {o.typical_messages} live messages, {o.deliveries:,} deliveries")
    with servers.sqlite_database() as url:
        key = _site(url, o.typical_messages, o.visitors, catch_all=True)
        with servers.overture("SQLite events", url, run.where) as server:
            pairs = make_deliveries(server.url, key, o.deliveries)
            file = run.where / "deliveries.txt"
            file.write_text("".join(f"{v} {d}\n" for v, d in pairs))
            progress("events: bare baseline")
            base = run.measure(run.baseline().url, "events.lua", ["KEY", str(file)])
            progress("events: overture serve")
            result = run.measure(server.url, "events.lua", [key, str(file)])
            row = _row("overture serve, SQLite", server, result, messages=o.typical_messages)
    row["vs_baseline"] = result.rps / base.rps
    return {"deliveries": len(pairs),
            "rows": [{"server": "bare Starlette (baseline)", **base.as_dict(),
                      "server_errors": []}, row]}
