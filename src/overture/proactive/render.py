"""Message text → runs of text with bold / italic / link, placeholders filled.

Clients build the bubble from these runs with text nodes, so no HTML ever reaches a page.
Only the safe Markdown subset is parsed: emphasis and links (http, https, mailto).
"""

from __future__ import annotations

import re
from functools import cache

from markdown_it import MarkdownIt

_PLACEHOLDER = re.compile(r"(\s?)\{\{\s*(first_name|full_name)\s*\}\}")
_SAFE_HREF = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


@cache
def _md() -> MarkdownIt:
    return MarkdownIt("zero").enable(["emphasis", "link"])


def fill(text: str, first_name: str, full_name: str) -> str:
    """Fill placeholders; an unknown one is dropped with the space before it."""
    values = {"first_name": first_name.strip(), "full_name": full_name.strip()}

    def sub(m: re.Match[str]) -> str:
        value = values[m.group(2)]
        return m.group(1) + value if value else ""

    return _PLACEHOLDER.sub(sub, text)


def runs(text: str, first_name: str = "", full_name: str = "") -> list[dict]:
    out: list[dict] = []
    bold = italic = 0
    href: str | None = None
    for line_no, line in enumerate(text.split("\n")):
        if line_no:
            out.append({"text": "\n"})
        tokens = _md().parseInline(line)
        for token in tokens[0].children or [] if tokens else []:
            kind = token.type
            if kind == "strong_open":
                bold += 1
            elif kind == "strong_close":
                bold -= 1
            elif kind == "em_open":
                italic += 1
            elif kind == "em_close":
                italic -= 1
            elif kind == "link_open":
                target = str(token.attrGet("href") or "")
                href = target if _SAFE_HREF.match(target) else None
            elif kind == "link_close":
                href = None
            elif kind in ("text", "code_inline", "html_inline"):
                value = fill(token.content, first_name, full_name)
                if value:
                    run: dict = {"text": value}
                    if bold:
                        run["bold"] = True
                    if italic:
                        run["italic"] = True
                    if href:
                        run["href"] = href
                    out.append(run)
            elif kind in ("softbreak", "hardbreak"):
                out.append({"text": "\n"})
    return _merge(out)


def _merge(items: list[dict]) -> list[dict]:
    merged: list[dict] = []
    for run in items:
        if merged and {k: v for k, v in merged[-1].items() if k != "text"} == {
            k: v for k, v in run.items() if k != "text"
        }:
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + run["text"]}
        else:
            merged.append(run)
    return merged


def plain(items: list[dict]) -> str:
    return "".join(r["text"] for r in items).strip()
