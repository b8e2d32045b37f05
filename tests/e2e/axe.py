"""axe-core in the browser tests: inject it into a page and fail on serious or critical
violations, naming each rule, its impact, its help text and the elements it was found on.

axe-core is not in the repository: `make axe` (a step of `make test`) fetches the pinned
version from npm into .cache/axe/. Nothing here reaches the network.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Frame, Page

ROOT = Path(__file__).resolve().parents[2]
AXE_DIR = ROOT / ".cache" / "axe"
BLOCKING = ("serious", "critical")


def axe_path() -> Path:
    """The fetched axe-core, of the version the Makefile pins (its stamp names it)."""
    pinned = re.search(r"^AXE_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert pinned, "the Makefile pins no AXE_VERSION"
    stamp = AXE_DIR / f".axe-core-{pinned[1]}"
    if not (stamp.is_file() and (AXE_DIR / "axe.min.js").is_file()):
        pytest.fail(f"axe-core {pinned[1]} is missing from {AXE_DIR}: run `make axe` (or "
                    "`make test`, which fetches it from npm before the tests)", pytrace=False)
    return AXE_DIR / "axe.min.js"


def run_axe(page: Page | Frame, context: Any = None, options: dict | None = None) -> dict:
    """axe.run over `context` (the whole document by default): its violations, and the
    targets of every element it checked (shadow DOM targets are lists of selectors)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=axe_path())
    return page.evaluate(
        """async ([context, options]) => {
            const result = await axe.run(context || document, options);
            const checked = [];
            for (const kind of ['passes', 'violations', 'incomplete'])
                for (const rule of result[kind])
                    for (const node of rule.nodes) checked.push(node.target);
            return {checked, violations: result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html,
                                          summary: n.failureSummary})),
            }))};
        }""",
        [context, options or {}],
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} [{v['impact']}]: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    at {node['target']}: {node['html'][:200]}")
            if node["summary"]:
                lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page: Page | Frame, where: str, context: Any = None,
                      options: dict | None = None) -> list:
    """No serious or critical violation on the page (or in `context`); the targets of the
    elements axe checked."""
    result = run_axe(page, context, options)
    found = [v for v in result["violations"] if v["impact"] in BLOCKING]
    assert not found, f"axe-core on {where}:\n{describe(found)}"
    assert result["checked"], f"axe-core checked nothing on {where}"
    return result["checked"]
