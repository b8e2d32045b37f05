"""Where the figures were taken (machine, date, commit) and how they are printed."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def commit() -> str:
    head = _git("rev-parse", "--short=12", "HEAD") or "unknown"
    # Figures from a tree that differs from its commit would be misattributed: say so.
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return head + (" + uncommitted changes in src/" if dirty else "")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        return kib / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def machine(wrk_version: str, postgres_version: str) -> dict:
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "cpu": _cpu(), "cores": os.cpu_count(), "memory_gib": round(_memory_gib(), 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_version, "postgresql": postgres_version,
        # Other work on the machine skews every figure; a high value says the run is suspect.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def header(m: dict) -> str:
    return "\n".join([
        f"Overture benchmarks — {m['date']}, commit {m['commit']}",
        f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}; "
        f"load average {m['load_average_1min']} at start",
        f"software: Python {m['python']}, SQLite {m['sqlite']}, {m['wrk']}, "
        f"PostgreSQL {m['postgresql']}",
    ])


def table(title: str, head: list[str], rows: list[list[object]], notes: list[str] = ()) -> str:
    """A plain-text table; the first column is left-aligned, the others right-aligned."""
    cells = [head, *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]

    def line(r: list[str]) -> str:
        return "  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    out = [f"\n[{title}]", line(head), "  " + "-" * (sum(widths) + 2 * (len(widths) - 1))]
    out += [line(r) for r in cells[1:]]
    out += [f"  {n}" for n in notes]
    return "\n".join(out)


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
