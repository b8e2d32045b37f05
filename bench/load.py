"""Load from `wrk`, a separate process in C, so the client's cost never counts as the server's."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non200: int
    socket_errors: int
    shown: int
    first_bad: str
    warmup_errors: int = 0  # non-200s and socket errors of the warm-up run before this one

    @property
    def errors(self) -> int:
        return self.non200 + self.socket_errors + self.warmup_errors

    @property
    def valid(self) -> bool:
        return self.errors == 0 and self.requests > 0

    def as_dict(self) -> dict:
        return {**asdict(self), "errors": self.errors, "valid": self.valid}


def wrk_version() -> str:
    if shutil.which("wrk") is None:
        return "missing"
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return out.split("[")[0].strip() or "unknown"


def wrk(url: str, script: str, args: list[str], *, seconds: float, connections: int = 32,
        threads: int = 1) -> WrkResult:
    """`wrk -t1 -c32 -d<N>s --latency -s bench/<script> url -- args… TAG SEED`; the tag keeps
    event ids unique from run to run. An answer slower than 2 s counts as an error (wrk keeps
    no latency above its timeout), and so does a run in which nothing was answered."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (make wrk)")
    tag = secrets.token_hex(4)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            "--timeout", "2s", "--latency", "-s", str(HERE / script), url, "--", *args, tag,
            str(secrets.randbelow(2**31))]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK-RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    r = json.loads(line.removeprefix("WRK-RESULT "))
    secs = r["duration_us"] / 1e6
    return WrkResult(
        requests=r["requests"], seconds=secs, rps=r["requests"] / secs,
        p50_ms=r["p50_us"] / 1000, p90_ms=r["p90_us"] / 1000, p99_ms=r["p99_us"] / 1000,
        max_ms=r["max_us"] / 1000, non200=r["non200"],
        socket_errors=r["connect_errors"] + r["read_errors"] + r["write_errors"]
        + r["timeouts"],
        shown=r["shown"], first_bad=r["first_bad"])
