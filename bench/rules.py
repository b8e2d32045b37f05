"""The rule engine alone: compiled predicates against the reference evaluator, on the same trees
and visits, for trees of 3, 10 and 30 conditions."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from bench.setup import random_visit, sized_tree


def _rate(run: Callable[[], object], calls: int, budget: float) -> float:
    """Calls per second: whole passes of `run` (each `calls` evaluations) for about `budget` s."""
    run()  # warm: first-call costs are not the steady state
    passes, start = 0, time.perf_counter()
    while True:
        run()
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return passes * calls / elapsed


def bench_rules(sizes: tuple[int, ...] = (3, 10, 30), budget: float = 1.0,
                n_trees: int = 50, n_visits: int = 100) -> dict:
    from overture.proactive.rules import compile_tree, evaluate, parse_tree, prepare

    rng = random.Random(7)
    visits = [random_visit(rng) for _ in range(n_visits)]
    results = []
    for size in sizes:
        trees = [parse_tree(sized_tree(rng, size)) for _ in range(n_trees)]
        compiled = [compile_tree(t) for t in trees]
        prepared = [prepare(v) for v in visits]
        reference = [evaluate(t, v) for v in visits for t in trees]
        fast = [c(p) for p in prepared for c in compiled]
        assert fast == reference, "compiled predicates disagree with the reference evaluator"
        calls = n_trees * n_visits
        ref_rate = _rate(lambda ts=trees: [evaluate(t, v) for v in visits for t in ts],
                         calls, budget)
        # As in a page view: the visit is prepared once, then every rule of the channel runs.
        fast_rate = _rate(lambda ps=prepared, cs=compiled: [c(p) for p in ps for c in cs],
                          calls, budget)
        results.append({"conditions": size, "reference_per_s": ref_rate,
                        "compiled_per_s": fast_rate, "speedup": fast_rate / ref_rate,
                        "match_share": sum(reference) / len(reference)})
    # Once per page view, shared by all the channel's rules.
    prepare_rate = _rate(lambda: [prepare(v) for v in visits], n_visits, budget / 2)
    return {"trees": results, "prepare_per_s": prepare_rate}
