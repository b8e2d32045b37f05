"""Small comparison helpers shared by the evaluator, the compiler and validation."""

import math
import operator
import re
from collections.abc import Callable
from typing import Final

Number = int | float

LANGUAGE_TAG_RE: Final = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
_INTEGER_RE: Final = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL_RE: Final = re.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII
)

NUMBER_COMPARISONS: Final[dict[str, Callable[[Number, Number], bool]]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def fold(text: str) -> str:
    """Case-fold text for case-insensitive comparison."""
    return text.casefold()


def normalize_language(tag: str) -> str:
    """`pt_BR`, `PT-br` and ` pt-BR ` all become `pt-br`."""
    return tag.strip().replace("_", "-").casefold()


def language_matches(wanted: str, actual: str) -> bool:
    """Whether the normalised tag `actual` falls under the normalised tag `wanted`.

    `pt` covers `pt`, `pt-br` and `pt-pt`; `pt-br` covers only `pt-br` (and its own subtags).
    """
    return actual == wanted or actual.startswith(wanted + "-")


class Wildcard:
    """A `*` pattern, pre-split so matching is plain string searching (no regular expressions).

    The pattern must already be case-folded; `match` expects case-folded text too.
    """

    __slots__ = ("_exact", "_middle", "_min_length", "_prefix", "_suffix")

    def __init__(self, pattern: str) -> None:
        parts = pattern.split("*")
        self._exact = pattern if len(parts) == 1 else None
        self._prefix = parts[0]
        self._suffix = parts[-1] if len(parts) > 1 else ""
        self._middle = tuple(part for part in parts[1:-1] if part)
        self._min_length = len(self._prefix) + len(self._suffix) + sum(map(len, self._middle))

    def match(self, text: str) -> bool:
        """Whether the whole of `text` matches the pattern."""
        if self._exact is not None:
            return text == self._exact
        if len(text) < self._min_length:
            return False
        if not (text.startswith(self._prefix) and text.endswith(self._suffix)):
            return False
        # Leftmost matching of each middle part is optimal when the only wildcard is `*`.
        position = len(self._prefix)
        end = len(text) - len(self._suffix)
        for part in self._middle:
            found = text.find(part, position, end)
            if found < 0:
                return False
            position = found + len(part)
        return True


def wildcard_match(pattern: str, text: str) -> bool:
    """Case-insensitive whole-string match of `text` against a `*` pattern."""
    return Wildcard(fold(pattern)).match(fold(text))


def is_attribute_value(value: object) -> bool:
    """Whether a visitor attribute can be compared at all; anything else counts as missing."""
    return isinstance(value, str | int | float)


def attribute_text(value: str | Number | bool) -> str:
    """The text form a text condition compares a custom attribute against."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def attribute_number(value: str | Number | bool) -> Number | None:
    """The number a number condition compares a custom attribute against, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    text = value.strip()
    try:
        if _INTEGER_RE.fullmatch(text):
            return int(text)
        if _DECIMAL_RE.fullmatch(text):
            number = float(text)
            return number if math.isfinite(number) else None
    except ValueError:  # an integer too long for int(); not a number anyone means
        return None
    return None
