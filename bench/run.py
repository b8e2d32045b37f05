"""One benchmark run: its options, its scratch directory, the bare baseline server that every
HTTP figure is compared with (started once, on first use), and warm-up-then-measure."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench import servers
from bench.load import WrkResult, wrk


@dataclass(frozen=True)
class Options:
    seconds: float = 6  # each measured wrk run
    warmup: float = 2  # the wrk run before it, not counted
    visitors: int = 100_000  # known visitors in the database
    messages: tuple[int, ...] = (10, 100, 1000)  # live messages, one SQLite server each
    # Live messages for the PostgreSQL row, the stall check (its SQLite server) and events.
    typical_messages: int = 100
    deliveries: int = 1000  # made before the events run, one visitor each
    sockets: int = 10_000
    loads: int = 5  # fresh page loads in the browser
    rules_budget: float = 1.0  # seconds per rule-engine measurement
    postgres: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    redis: str = "redis://127.0.0.1:6379/0"


QUICK = Options(seconds=2, warmup=1, visitors=20_000, deliveries=300, sockets=1000, loads=3,
                rules_budget=0.3)


class Run:
    def __init__(self, options: Options, stack: ExitStack):
        self.options = options
        self.stack = stack
        self.where: Path = stack.enter_context(servers.workdir())
        self._baseline: servers.Server | None = None

    def baseline(self) -> servers.Server:
        if self._baseline is None:
            self._baseline = self.stack.enter_context(servers.baseline(self.where))
        return self._baseline

    def measure(self, url: str, script: str, args: list[str]) -> WrkResult:
        """One warm-up run (its errors kept), then the measured one."""
        warm = wrk(url, script, args, seconds=self.options.warmup)
        result = wrk(url, script, args, seconds=self.options.seconds)
        result.warmup_errors = warm.non200 + warm.socket_errors
        if not result.first_bad:
            result.first_bad = warm.first_bad
        return result


def progress(text: str) -> None:
    """What is happening now, on stderr, so that stdout holds only the figures."""
    print(f"  · {text}", file=sys.stderr, flush=True)
