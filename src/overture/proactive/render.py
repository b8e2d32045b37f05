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


_GONE = "\x00"  # where an empty placeholder stood (no message text holds NUL)
# Emphasis, brackets or quotes around nothing but an empty placeholder.
_EMPTIED = re.compile(r"(\*\*|__|\*|_)\x00\1|\(\x00\)|\[\x00\]|\"\x00\"|“\x00”")
_BEFORE_END = re.compile(r"[ \t]*,?[ \t]*\x00(?=[!?.…:;]|[ \t]*(?:\n|$))")
_AT_START = re.compile(r"(^|\n|[.!?…][ \t]+)\x00[ \t]*[,;:]?[ \t]*(\w?)")


def drop_empty(text: str, first_name: str, full_name: str) -> str:
    """Take out the placeholders that have no value, with what only belonged to them: the
    emphasis or brackets around them ("Hello **{{first_name}}**!" → "Hello!"), the comma and
    space before an ending ("Olá, {{first_name}}!" → "Olá!"), the comma after an opening,
    whose next word then starts the sentence ("{{first_name}}, welcome!" → "Welcome!"), or
    the space before."""
    values = {"first_name": first_name.strip(), "full_name": full_name.strip()}
    marked = _PLACEHOLDER.sub(lambda m: m.group(0) if values[m.group(2)] else
                              m.group(1) + _GONE, text)
    if _GONE not in marked:
        return text
    while True:
        unwrapped = _EMPTIED.sub(_GONE, marked)
        if unwrapped == marked:
            break
        marked = unwrapped
    marked = _BEFORE_END.sub("", marked)
    marked = _AT_START.sub(lambda m: m.group(1) + m.group(2).upper(), marked)
    return re.sub(r"[ \t]?\x00", "", marked)


def runs(text: str, first_name: str = "", full_name: str = "") -> list[dict]:
    text = drop_empty(text, first_name, full_name)
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
