"""`make bench` (`python -m bench`): what visitors feel, each figure beside a baseline measured
in the same run. Tables go to stdout, progress to stderr, every figure to bench/results.json.

Phases, in order (`--only` picks some): rules, pageviews, events, webhooks, widget, sockets.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import time
import traceback
from contextlib import ExitStack
from pathlib import Path

from bench import report, servers
from bench.load import wrk_version
from bench.run import QUICK, Options, Run, progress

PHASES = ("rules", "pageviews", "events", "webhooks", "widget", "sockets")
RESULTS = Path(__file__).resolve().parent / "results.json"


def pct(x: float | None) -> str | None:
    return None if x is None else f"{x * 100:.1f} %"


def show_rules(r: dict, o: Options) -> str:
    rows = [[t["conditions"], t["reference_per_s"], t["compiled_per_s"],
             f"{t['speedup']:.1f}×", pct(t["match_share"])] for t in r["trees"]]
    return report.table(
        "rule engine: evaluations per second, 50 trees × 100 visits of each size",
        ["conditions", "reference evaluator (baseline)", "compiled", "speedup", "matching"],
        rows, [f"A page view prepares its visit once for all rules: {r['prepare_per_s']:,.0f}"
               " visits/s. Compiled results are checked equal to the reference's first."])


def _http_rows(rows: list[dict], with_messages: bool) -> list[list]:
    out = []
    for row in rows:
        shown = (pct(row["shown"] / row["requests"])
                 if row.get("messages") and row["requests"] else None)
        cells = [row["server"], row["rps"], f"{row['p50_ms']:.2f}", f"{row['p99_ms']:.2f}",
                 pct(row.get("vs_baseline", 1.0)), _errors(row)]
        if with_messages:
            cells[1:1] = [row.get("messages")]
            cells.insert(-1, shown)
        out.append(cells)
    return out


def _errors(row: dict) -> str | int:
    if row["valid"]:
        return row["errors"]
    return f"INVALID ({row['errors']})" if row["requests"] else "INVALID (no answer)"


def _problems(rows: list[dict]) -> list[str]:
    notes = []
    for row in rows:
        if not row["requests"]:
            notes.append(f"INVALID {row['server']} {row.get('messages', '')}: not one request "
                         "was answered during the run")
        elif row["errors"]:
            notes.append(f"INVALID {row['server']} {row.get('messages', '')}: "
                         f"{row['non200']} non-200, {row['socket_errors']} socket errors "
                         f"(incl. answers slower than 2 s), {row['warmup_errors']} in warm-up;"
                         f" first: {row['first_bad'][:160]!r}")
        for line in row.get("server_errors", [])[:3]:
            notes.append(f"server log ({row['server']} {row.get('messages', '')}): {line[:160]}")
    return notes


def show_page_views(r: dict, o: Options) -> str:
    notes = _problems(r["rows"])
    if r["postgres"]["skipped"]:
        notes.append(f"PostgreSQL + Redis skipped: {r['postgres']['skipped']}")
    notes.append("vs baseline: requests/s as a share of the bare server's (mean of its two "
                 "runs). shown: page views that put a message on screen.")
    if r["baseline_spread"] > 0.15:
        notes.append(f"The two baseline runs differ by {r['baseline_spread'] * 100:.0f} %: the "
                     "machine was busy with something else; ratios are uncertain.")
    out = report.table(
        f"page views: wrk -t1 -c32 -d{o.seconds:g}s after a {o.warmup:g} s warm-up, "
        f"{o.visitors:,} known visitors, half the requests from new ones",
        ["server", "messages", "req/s", "p50 ms", "p99 ms", "vs baseline", "shown", "errors"],
        _http_rows(r["rows"], True), notes)
    s = r["stall"]
    if s:
        b = s["burst"]
        verdict = "ok" if s["first_ms"] < s["target_ms"] and s["first_status"] == 200 else "SLOW"
        out += "\n" + report.table(
            f"stall: wrk -c64 for 3 s on SQLite with {o.typical_messages} messages, then at once "
            "one page view",
            ["", "value"],
            [["burst: requests completed", b["requests"]], ["burst: errors", b["errors"]],
             ["first page view after it, ms", f"{s['first_ms']:.1f}"
              if s["first_status"] else f"> {s['first_ms']:.0f} (gave up)"],
             ["the five after that, median ms", f"{s['next_ms']:.1f}"]],
            [f"target: first page view < {s['target_ms']} ms → {verdict} "
             f"(HTTP {s['first_status']})"])
    return out


def show_events(r: dict, o: Options) -> str:
    return report.table(
        f"widget events (opened / dismissed): wrk -t1 -c32 -d{o.seconds:g}s after a "
        f"{o.warmup:g} s warm-up, on {r['deliveries']:,} deliveries, SQLite",
        ["server", "events/s", "p50 ms", "p99 ms", "vs baseline", "errors"],
        _http_rows(r["rows"], False), _problems(r["rows"]))


def show_webhooks(r: dict, o: Options) -> str:
    made = sum(r["outbox_drained"].values())
    notes = [*_problems(r["rows"]),
             f"outbox when the load stopped: {r['outbox_at_end']}; {r['drain_seconds']:.1f} s "
             f"later: {r['outbox_drained']} ({made:,} deliveries in all, each a POST to the "
             "bare server, signed, from the server's own worker)."]
    return report.table(
        f"page views with webhooks: wrk -t1 -c32 -d{o.seconds:g}s after a {o.warmup:g} s "
        f"warm-up, SQLite, {o.typical_messages} messages + one that shows on every page",
        ["server", "messages", "req/s", "p50 ms", "p99 ms", "vs baseline", "shown", "errors"],
        _http_rows(r["rows"], True), notes)


def show_widget(r: dict, o: Options) -> str:
    sizes = [[path, s["wire"], s["encoding"], s["gzip9"], s["identity"]]
             for path, s in r["sizes"].items()]
    out = report.table("widget scripts: bytes as served", [
        "script", "on the wire", "encoding", "gzip -9", "minified"], sizes,
        ["Responses under 1 KB are sent uncompressed."])
    b, far = r["browser"], r.get("distant") or {}
    moments = [("load event (baseline)", "load_ms"), ("loader received", "loader_ms"),
               ("app.js received", "app_ms"), ("page view answered", "page_view_ms"),
               ("bubble painted", "bubble_ms")]

    def ms(v):
        return f"{v:.1f}" if v is not None else None

    out += "\n" + report.table(
        f"navigation start → message on screen: {r['page']}, headless Chromium "
        f"{b['chromium']}, median of {b['loads']} fresh visitors",
        ["moment", "loopback, ms", f"+{r.get('distant_ms', 0)} ms a request, ms"],
        [[m, ms(b[k]), ms(far.get(k))] for m, k in moments],
        [f"bubble, every load: {b['bubble_all_ms']} ms (loopback), "
         f"{far.get('bubble_all_ms')} ms (distant); painted whole (a 0.2 s slide, no fade)."])
    return out


def show_sockets(r: dict, o: Options) -> str:
    rss = [["sockets asked for", r["requested"]], ["opened by the client", r["opened"]],
           ["held by the server", r["held_by_server"]],
           ["seconds to open them all", f"{r['open_seconds'] or 0:.1f}"],
           ["CPU seconds for that: server / client",
            f"{r['server_cpu_seconds']:.1f} / {r['client_cpu_seconds'] or 0:.1f}"],
           ["server RSS before (baseline), MiB", f"{r['rss_before_kib'] / 1024:.1f}"],
           ["server RSS with the sockets, MiB", f"{r['rss_after_kib'] / 1024:.1f}"],
           ["KiB per socket", f"{r['kib_per_socket']:.1f}" if r["kib_per_socket"] else None]]
    total_gib = r["rss_after_kib"] / 2**20
    if r["requested"] < 10_000:
        verdict = f"not checked, {r['requested']:,} asked for"
    else:
        verdict = "ok" if total_gib < 1 and r["all_accepted"] else "MISSED"
    notes = [f"all accepted: {'yes' if r['all_accepted'] else 'NO'}; target 10,000 in < 1 GiB: "
             f"{verdict} ({total_gib:.2f} GiB in all)"]
    notes.append("The client offers permessage-deflate, as browsers do.")
    if r["first_error"]:
        notes.append(f"first failure: {r['first_error']}")
    notes += [f"server log: {line[:160]}" for line in r["server_errors"][:3]]
    return report.table("idle chat WebSockets in one `overture serve` process (SQLite)",
                        ["", "value"], rss, notes)


def run_phase(name: str, run: Run) -> dict:
    o = run.options
    if name == "rules":
        from bench.rules import bench_rules

        progress("rule engine")
        return bench_rules(budget=o.rules_budget)
    if name == "pageviews":
        from bench.widget_api import bench_page_views

        return bench_page_views(run)
    if name == "events":
        from bench.widget_api import bench_events

        return bench_events(run)
    if name == "webhooks":
        from bench.webhooks import bench_webhooks

        return bench_webhooks(run)
    if name == "widget":
        from bench.browser import bench_widget

        return bench_widget(run)
    from bench.sockets import bench_sockets

    progress(f"idle sockets: {o.sockets:,}")
    return bench_sockets(o.sockets, run.where)


SHOW = {"rules": show_rules, "pageviews": show_page_views, "events": show_events,
        "webhooks": show_webhooks, "widget": show_widget, "sockets": show_sockets}


def invalid(name: str, result: dict) -> bool:
    rows = result.get("rows", [])
    if name == "pageviews" and result.get("stall"):
        rows = [*rows, result["stall"]["burst"]]
    if name == "sockets":
        return not result["all_accepted"]
    return any(not row["valid"] for row in rows)


def parse_args(argv: list[str] | None) -> tuple[Options, list[str], Path]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter runs, smaller data")
    parser.add_argument("--only", action="append", choices=PHASES, metavar="PHASE",
                        help=f"run this phase only (repeatable): {', '.join(PHASES)}")
    parser.add_argument("--seconds", type=float, help="length of each measured wrk run")
    parser.add_argument("--visitors", type=int, help="known visitors in the database")
    parser.add_argument("--sockets", type=int, help="idle WebSockets to open (default 10,000)")
    parser.add_argument("--loads", type=int, help="fresh page loads in the browser")
    parser.add_argument("--postgres", help="PostgreSQL URL of a database to connect to "
                        "for creating (and dropping) the benchmark's own")
    parser.add_argument("--redis", help="Redis URL")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write results")
    args = parser.parse_args(argv)
    options = QUICK if args.quick else Options()
    changes = {k: getattr(args, k) for k in ("seconds", "visitors", "sockets", "loads",
                                             "postgres", "redis") if getattr(args, k)}
    phases = [p for p in PHASES if not args.only or p in args.only]
    return dataclasses.replace(options, **changes), phases, args.json


def _stop(signum, _frame):
    raise SystemExit(128 + signum)  # unwind, so servers are stopped and temp files removed


def main(argv: list[str] | None = None) -> int:
    options, phases, out = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    machine = report.machine(wrk_version(), servers.postgres_version(options.postgres))
    print(report.header(machine), flush=True)
    results: dict = {"machine": machine, "options": dataclasses.asdict(options), "phases": {}}
    failed = []
    with ExitStack() as stack:
        run = Run(options, stack)
        for name in phases:
            t0 = time.monotonic()
            try:
                result = run_phase(name, run)
            except Exception as exc:
                traceback.print_exc()
                print(f"\n[{name}] FAILED: {exc}", flush=True)
                results["phases"][name] = {"error": repr(exc)}
                failed.append(name)
                continue
            result["seconds"] = time.monotonic() - t0
            results["phases"][name] = result
            try:
                print(SHOW[name](result, options), flush=True)
                if invalid(name, result):
                    failed.append(name)
            except Exception:  # the figures are kept in the JSON all the same
                traceback.print_exc()
                failed.append(name)
    results["wall_seconds"] = time.monotonic() - started
    results["invalid_or_failed"] = failed
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwall time {results['wall_seconds']:.0f} s; figures in {out}"
          + (f"; INVALID OR FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
