"""`make bench`: the hot path's figures, each against a baseline measured in the same run.

1. Rules: 1,000 compiled predicates vs. the plain reference evaluator, on the same visits.
2. Page views through the widget API with 1,000 live messages on the channel and many known
   visitors: cached compiled rules vs. recompiling the channel at every page view.
3. The widget's size, gzipped.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import random
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from bench.setup import build_site, fill_visitors, random_tree, random_visit


def bench_rules(n_messages: int, n_visits: int) -> dict:
    from overture.proactive.rules import compile_tree, evaluate, parse_tree, prepare

    rng = random.Random(7)
    trees = [parse_tree(random_tree(rng)) for _ in range(n_messages)]
    visits = [random_visit(rng) for _ in range(n_visits)]
    compiled = [compile_tree(t) for t in trees]
    t0 = time.perf_counter()
    ref = [[evaluate(t, v) for t in trees] for v in visits]
    baseline = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast = []
    for v in visits:
        p = prepare(v)
        fast.append([c(p) for c in compiled])
    optimised = time.perf_counter() - t0
    assert fast == ref, "compiled predicates disagree with the reference evaluator"
    return {"per_visit_ref_us": baseline / n_visits * 1e6,
            "per_visit_compiled_us": optimised / n_visits * 1e6,
            "speedup": baseline / optimised,
            "matches": sum(map(sum, ref))}


def bench_page_views(n_messages: int, n_visitors: int, n_views: int) -> dict:
    from fastapi.testclient import TestClient

    from overture.app import create_app
    from overture.cli import migrate
    from overture.config import Settings
    from overture.proactive import engine

    tmp = Path(tempfile.mkdtemp()) / "bench.db"
    url = f"sqlite:///{tmp}"
    migrate(url)
    app = create_app(Settings(environment="test", database_url=url, secret_key="b" * 40,
                              log_level="error", widget_requests_per_ip_per_minute=10**9,
                              widget_requests_per_visitor_per_minute=10**9))
    results = {}
    with TestClient(app) as client:
        key = build_site(app, n_messages)
        t0 = time.perf_counter()
        fill_visitors(app, n_visitors)
        results["fill_seconds"] = time.perf_counter() - t0

        def run(label: str) -> list[float]:
            times = []
            rng = random.Random(11)
            for _ in range(n_views):
                visit = random_visit(rng)
                body = {"visitor_id": "v" + secrets.token_hex(10),
                        "session_id": "s" + secrets.token_hex(10),
                        "event_id": "e" + secrets.token_hex(10), "url": visit.url,
                        "title": visit.title, "language": visit.language}
                t = time.perf_counter()
                r = client.post(f"/widget/v1/{key}/page-views", json=body)
                times.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            return times

        run("warm-up")
        cached = run("cached")
        real_get = engine.RuleCache.get
        engine.RuleCache.get = lambda self, db, cid: engine.compile_channel(db, cid)
        try:
            uncached = run("recompile every time")
        finally:
            engine.RuleCache.get = real_get
    for label, times in (("cached", cached), ("recompile", uncached)):
        times = sorted(times)
        results[f"{label}_p50_ms"] = statistics.median(times) * 1000
        results[f"{label}_p95_ms"] = times[int(len(times) * 0.95) - 1] * 1000
    results["speedup_p50"] = results["recompile_p50_ms"] / results["cached_p50_ms"]
    return results


def widget_sizes() -> dict:
    """Source size, and what is served: minified, then gzipped."""
    import rjsmin

    static = Path(__file__).resolve().parents[1] / "src/overture/widget/static"
    out = {}
    for name in ("loader.js", "app.js"):
        text = (static / name).read_text(encoding="utf-8")
        served = rjsmin.jsmin(text).encode()
        out[name] = (len(text.encode()), len(served), len(gzip.compress(served, 9)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--visitors", type=int, default=1_000_000)
    parser.add_argument("--views", type=int, default=300)
    parser.add_argument("--visits", type=int, default=300)
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''} "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    r = bench_rules(args.messages, args.visits)
    print(f"\n[rules] {args.messages} trees × {args.visits} visits")
    print(f"  reference evaluator  {r['per_visit_ref_us']:10.1f} µs per visit (baseline)")
    print(f"  compiled predicates  {r['per_visit_compiled_us']:10.1f} µs per visit"
          f"  → {r['speedup']:.1f}× faster")
    p = bench_page_views(args.messages, args.visitors, args.views)
    print(f"\n[page views] {args.messages} live messages, {args.visitors:,} known visitors "
          f"(filled in {p['fill_seconds']:.1f} s), {args.views} page views, SQLite")
    print(f"  recompiling each view  p50 {p['recompile_p50_ms']:8.2f} ms  "
          f"p95 {p['recompile_p95_ms']:8.2f} ms (baseline)")
    print(f"  cached compiled rules  p50 {p['cached_p50_ms']:8.2f} ms  "
          f"p95 {p['cached_p95_ms']:8.2f} ms  → {p['speedup_p50']:.1f}× faster")
    print("\n[widget] source / served minified / minified + gzip")
    for name, (raw, mini, gz) in widget_sizes().items():
        print(f"  {name:10s} {raw:7,d} B  {mini:7,d} B  {gz:6,d} B")


if __name__ == "__main__":
    main()
