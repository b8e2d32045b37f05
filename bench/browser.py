"""What a visitor's browser sees: the widget's bytes on the wire, and how long after navigation
starts the proactive message is on screen, in headless Chromium (Debian's; never downloaded)."""

from __future__ import annotations

import gzip
import os
import statistics
import subprocess

import httpx

from bench import servers
from bench.run import Run, progress

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

# Runs before the page's own scripts. Keeps a reference to the widget's (closed) shadow root
# without changing it, and watches each frame for the message card (`.card`, see app.js).
# A task queued from the frame that first has the card runs once that frame is painted.
WATCH_BUBBLE = """
(() => {
  const attach = Element.prototype.attachShadow;
  let root = null;
  Element.prototype.attachShadow = function (init) { return root = attach.call(this, init); };
  const look = () => {
    if (root && root.querySelector('.card')) {
      setTimeout(() => { window.__bubblePainted = performance.now(); }, 0);
    } else {
      requestAnimationFrame(look);
    }
  };
  requestAnimationFrame(look);
})();
"""

TIMINGS = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const done = (part) => {
    const e = performance.getEntriesByType('resource').find((r) => r.name.includes(part));
    return e ? e.responseEnd : null;
  };
  return {bubble: window.__bubblePainted, load: nav.loadEventEnd,
          loader: done('/widget.js'), app: done('/widget/app.js'),
          page_view: done('/page-views')};
}
"""


def widget_sizes(base_url: str) -> dict:
    """Bytes on the wire as served to a browser (gzip when it pays), without compression, and
    the served body gzipped at level 9 whatever its size."""
    out = {}
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for path in ("/widget.js", "/widget/app.js"):
            gz = client.get(path, headers={"Accept-Encoding": "gzip"})
            plain = client.get(path, headers={"Accept-Encoding": "identity"})
            gz.raise_for_status()
            plain.raise_for_status()
            out[path] = {"wire": gz.num_bytes_downloaded, "identity": len(plain.content),
                         "gzip9": len(gzip.compress(plain.content, 9)),
                         "encoding": gz.headers.get("content-encoding", "identity")}
    return out


# A distant visitor: every request waits this long for its answer (Chromium's network
# emulation), as over a mobile network or across an ocean, where round trips, not the
# server, decide when the bubble shows.
DISTANT_MS = 100


def time_to_bubble(page_url: str, loads: int = 5, latency_ms: float = 0) -> dict:
    """Median over `loads` fresh visitors (a new browser context each) of the moment the bubble
    is painted, beside the same page's load event; one load before them warms the server.
    `latency_ms` delays every response, as a network far from the server does."""
    from playwright.sync_api import sync_playwright

    samples = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            version = browser.version
            for i in range(loads + 1):
                context = browser.new_context()
                try:
                    page = context.new_page()
                    page.add_init_script(WATCH_BUBBLE)
                    if latency_ms:
                        cdp = context.new_cdp_session(page)
                        cdp.send("Network.enable")
                        cdp.send("Network.emulateNetworkConditions", {
                            "offline": False, "latency": latency_ms,
                            "downloadThroughput": -1, "uploadThroughput": -1})
                    page.goto(page_url, wait_until="load")
                    page.wait_for_function("window.__bubblePainted !== undefined",
                                           timeout=15_000)
                    page.wait_for_function(
                        "performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
                    timings = page.evaluate(TIMINGS)
                finally:
                    context.close()
                if i:
                    samples.append(timings)
        finally:
            browser.close()

    def median(key: str) -> float | None:
        values = [s[key] for s in samples if s[key] is not None]
        return statistics.median(values) if values else None

    return {"chromium": version, "loads": len(samples),
            **{f"{k}_ms": median(k) for k in ("bubble", "load", "loader", "app", "page_view")},
            "bubble_all_ms": [round(s["bubble"], 1) for s in samples]}


def bench_widget(run: Run) -> dict:
    """Against `overture serve` with the demo data, whose pricing page shows a message at once."""
    from overture.cli import migrate

    page = "/demo/pricing"
    with servers.sqlite_database() as url:
        migrate(url)
        env = {**os.environ, **servers.OVERTURE_ENV, "OVERTURE_DATABASE_URL": url}
        subprocess.run([str(servers.BIN / "overture"), "demo"], env=env, check=True,
                       capture_output=True)
        with servers.overture("overture serve (demo)", url, run.where) as server:
            progress("widget: sizes, then the browser")
            sizes = widget_sizes(server.url)
            timing = time_to_bubble(server.url + page, run.options.loads)
            progress(f"widget: the browser, {DISTANT_MS} ms from the server")
            distant = time_to_bubble(server.url + page, run.options.loads, DISTANT_MS)
            errors = server.errors()
    return {"page": page, "sizes": sizes, "browser": timing, "distant": distant,
            "distant_ms": DISTANT_MS, "server_errors": errors[:20]}
