"""Host pages for the widget's browser tests, served by the test from the live server's origin
(an allowed origin of the demo channel), and what the tests watch on them.

Every page has a few host controls of its own, driven by inline handlers (the host's scripts):
`#host-button` counts its clicks into `#host-count`, `#host-next` moves a single-page app to
another URL with `history.pushState`, `#host-break` runs the page's `hostBreak()` (a host
script that replaces a built-in after the widget has loaded) and `#host-check` writes into
`#host-state` whether what the host set up is still as it left it (`hostCheck()`). The tests
press them instead of evaluating code in the page, so that nothing of the test runs with the
page's broken built-ins.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page, Response

EMBED = '<script src="/widget.js" data-channel="demo-widget"{attrs} async></script>'

TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{style}
<script>
  window.hostClicks = 0;
  function hostBreak() {{ {breaks} }}
  function hostCheck() {{ return {check}; }}
  {head}
</script>
</head>
<body>
<h1>{heading}</h1>
<p>
  <button id="host-button" type="button"
    onclick="document.getElementById('host-count').textContent = ++window.hostClicks">Count</button>
  <output id="host-count">0</output>
  <button id="host-next" type="button"
    onclick="history.pushState({{}}, '', '/hostile/next'); document.title = 'Next step'">Next</button>
  <button id="host-break" type="button" onclick="hostBreak()">Break</button>
  <button id="host-check" type="button"
    onclick="document.getElementById('host-state').textContent = hostCheck() ? 'intact' : 'changed'"
    >Check</button>
  <output id="host-state"></output>
</p>
{body}
{embed}
</body>
</html>
"""


def host_page(*, title: str = "Hostile host", heading: str = "A hostile host page",
              style: str = "", head: str = "", breaks: str = "", check: str = "true",
              body: str = "", shadow: str = "open", embed_attrs: str = "") -> str:
    """A host page with the embed tag at the end of its body (after the host's own scripts).

    `head` runs before the embed tag, `breaks` when `#host-break` is pressed, `check` is the
    host's test that its own set-up is still in place."""
    attrs = (f' data-shadow="{shadow}"' if shadow == "open" else "") + (
        f" {embed_attrs}" if embed_attrs else "")
    return TEMPLATE.format(title=title, heading=heading, head=head,
                           style=f"<style>{style}</style>" if style else "",
                           breaks=breaks, check=check, body=body,
                           embed=EMBED.format(attrs=attrs))


def serve(context: BrowserContext, url: str, html: str,
          headers: dict[str, str] | None = None) -> None:
    """Answer `url` (on the live server's origin) with `html` (and these response headers)."""
    context.route(url, lambda route: route.fulfill(status=200, content_type="text/html",
                                                   body=html, headers=headers))


# Network failures the browser itself logs while it is offline: not the widget's errors.
OFFLINE_NOISE = re.compile(r"^Failed to load resource: net::ERR_INTERNET_DISCONNECTED")


@dataclass
class Watch:
    """What the page reported: uncaught errors and console errors, and the widget's calls."""

    errors: list[str] = field(default_factory=list)
    page_views: list[Response] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def attach(self, page: Page) -> Watch:
        page.on("pageerror", self._uncaught)
        page.on("console", self._console)
        page.on("response", self._response)
        return self

    def _uncaught(self, error: Error) -> None:
        self.errors.append(f"uncaught: {error.name}: {error.message}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self.allowed):
            self.errors.append(f"console: {message.text}")

    def _response(self, response: Response) -> None:
        if response.url.endswith("/page-views") and response.request.method == "POST":
            self.page_views.append(response)

    def page_view_statuses(self) -> list[int]:
        return [r.status for r in self.page_views]


def subset(stats: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {k: stats.get(k) for k in expected}


# -- where the widget is ---------------------------------------------------------------------

HALF_PIXEL = 0.5

# Boxes of elements inside the widget (open shadow root) and the visual viewport, all in the
# layout viewport's coordinates (getBoundingClientRect and visualViewport.offsetLeft/Top).
BOXES = """(selectors) => {
  const root = document.querySelector('overture-widget').shadowRoot;
  const v = window.visualViewport;
  const out = {viewport: {x: v.offsetLeft, y: v.offsetTop, width: v.width, height: v.height,
                          scale: v.scale}};
  for (const s of selectors) {
    const e = root.querySelector(s);
    const r = e && e.getBoundingClientRect();
    out[s] = r && {x: r.x, y: r.y, width: r.width, height: r.height};
  }
  return out;
}"""

# The widget's own animations (the bubble slides in) are over before boxes are measured.
SETTLED = """() => Promise.all(document.querySelector('overture-widget').shadowRoot
  .getAnimations().map(a => a.finished.catch(() => null)))"""


def boxes(page: Page, *selectors: str) -> dict:
    """Where the widget's elements are (open shadow root; a page with its built-ins intact)."""
    page.evaluate(SETTLED)
    return page.evaluate(BOXES, list(selectors))


def in_view(page: Page, *selectors: str) -> dict:
    """Each element is on the page and wholly inside the visual viewport (the widget may take
    a frame to follow the viewport: checked again until a bound)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            return _inside(page, *selectors)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.wait_for_timeout(100)


def _inside(page: Page, *selectors: str) -> dict:
    got = boxes(page, *selectors)
    v = got["viewport"]
    for s in selectors:
        b = got[s]
        assert b is not None, f"{s} is not in the widget"
        assert b["width"] > 0 and b["height"] > 0, (s, b)
        assert b["x"] >= v["x"] - HALF_PIXEL, (s, b, v)
        assert b["y"] >= v["y"] - HALF_PIXEL, (s, b, v)
        assert b["x"] + b["width"] <= v["x"] + v["width"] + HALF_PIXEL, (s, b, v)
        assert b["y"] + b["height"] <= v["y"] + v["height"] + HALF_PIXEL, (s, b, v)
    return got
