"""Idle live-chat sockets: how many one server process holds, and its memory per connection.

The sockets are opened by a client in another process (`python -m bench.sockets URL KEY FILE`),
so the server's resident memory before and after is all its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench import servers
from bench.setup import build_site, fill_conversations


def raise_fd_limit() -> int:
    """Up to the hard limit: each socket is a file descriptor, on both sides."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def socket_fds(pid: int) -> int:
    fds = Path(f"/proc/{pid}/fd")
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):  # closed while we looked
            count += os.readlink(fd).startswith("socket:")
    return count


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_sockets(n: int, where: Path) -> dict:
    from overture.cli import migrate

    limit = raise_fd_limit()  # inherited by the server we start
    if n + 200 > limit:
        raise RuntimeError(f"{n:,} sockets need more file descriptors than the limit ({limit:,})")
    with servers.sqlite_database() as url:
        migrate(url)
        key = build_site(url, 0)
        pairs = where / "conversations.txt"
        pairs.write_text("".join(f"{v} {c}\n" for v, c in fill_conversations(url, key, n)))
        with servers.overture("overture serve (sockets)", url, where) as server:
            servers.httpx.get(server.url + "/widget.js").raise_for_status()
            time.sleep(0.5)
            before_rss, before_fds = server.rss_kib(), socket_fds(server.proc.pid)
            before_cpu = cpu_seconds(server.proc.pid)
            client = subprocess.Popen(
                [sys.executable, "-m", "bench.sockets", server.url, key, str(pairs)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                cwd=Path(__file__).resolve().parents[1])
            try:
                report = json.loads(client.stdout.readline() or "{}")
                server_cpu = cpu_seconds(server.proc.pid) - before_cpu
                time.sleep(1)  # let the last handshakes settle before reading memory
                after_rss, after_fds = server.rss_kib(), socket_fds(server.proc.pid)
                client.stdin.write("close\n")
                client.stdin.flush()
                client.wait(120)
            finally:
                if client.poll() is None:
                    client.kill()
                    client.wait()
            errors = server.errors()
    held = after_fds - before_fds
    opened = report.get("opened", 0)
    return {"requested": n, "opened": opened, "held_by_server": held,
            "failed": report.get("failed", n), "first_error": report.get("first_error", ""),
            "open_seconds": report.get("seconds"), "server_cpu_seconds": server_cpu,
            "client_cpu_seconds": report.get("cpu_seconds"),
            "rss_before_kib": before_rss, "rss_after_kib": after_rss,
            "kib_per_socket": (after_rss - before_rss) / opened if opened else None,
            "all_accepted": opened == n and held >= n, "server_errors": errors[:20]}


async def _hold(base: str, key: str, pairs: list[tuple[str, str]], concurrency: int) -> None:
    from websockets.asyncio.client import connect

    ws_base = base.replace("http://", "ws://", 1)
    sem = asyncio.Semaphore(concurrency)
    open_sockets = []

    async def one(visitor: str, conversation: str) -> None:
        async with sem:
            ws = await connect(
                f"{ws_base}/widget/v1/{key}/conversations/{conversation}/ws"
                f"?visitor_id={visitor}", ping_interval=None, open_timeout=60)
            open_sockets.append(ws)
            # The server says hello (the conversation's status) once it is subscribed.
            hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if hello.get("type") != "status":
                raise RuntimeError(f"unexpected first frame: {hello}")

    start = time.perf_counter()
    # Offers permessage-deflate, as browsers do: the server's share of it is part of the cost.
    results = await asyncio.gather(*(one(v, c) for v, c in pairs), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    print(json.dumps({"opened": len(results) - len(failures), "failed": len(failures),
                      "first_error": repr(failures[0])[:300] if failures else "",
                      "seconds": time.perf_counter() - start,
                      "cpu_seconds": time.process_time()}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for ws in open_sockets:
        ws.transport.abort()  # no closing handshakes: 10,000 of them would only add noise


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sockets")
    parser.add_argument("url")
    parser.add_argument("key")
    parser.add_argument("pairs", type=Path, help='a file of "visitor_id conversation_id" lines')
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    raise_fd_limit()
    pairs = [tuple(line.split()) for line in args.pairs.read_text().splitlines() if line]
    asyncio.run(_hold(args.url, args.key, pairs, args.concurrency))


if __name__ == "__main__":
    main()
