"""English and Brazilian Portuguese, from Babel message catalogues.

The .po files are read directly at start-up (no compile step to forget); the current
locale lives in a context variable set per request.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from gettext import c2py
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.pofile import read_po

LOCALES = ("en", "pt_BR")
LOCALE_NAMES = {"en": "English", "pt_BR": "Português (Brasil)"}
_DIR = Path(__file__).parent / "locale"

current_locale: ContextVar[str] = ContextVar("current_locale", default="en")


class _Translations:
    """One locale's catalogue: plain, plural and context-qualified entries."""

    def __init__(self, messages: dict, plural: Callable[[int], int]):
        self.messages = messages  # msgid | (context, msgid) -> str | tuple of plural forms
        self.plural = plural


def _english_plural(n: int) -> int:
    return int(n != 1)


@cache
def _catalog(locale: str) -> _Translations:
    path = _DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return _Translations({}, _english_plural)
    with path.open("rb") as f:
        cat = read_po(f, locale=locale)
    messages: dict = {}
    for m in cat:
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, tuple | list):  # msgid_plural: keyed by the singular
            forms = tuple(m.string)
            if not all(forms):
                continue
            key, value = m.id[0], forms
        else:
            if not m.string:
                continue
            key, value = m.id, m.string
        messages[(m.context, key) if m.context else key] = value
    return _Translations(messages, c2py(cat.plural_expr))


def _lookup(key) -> str | tuple | None:
    locale = current_locale.get()
    if locale == "en":
        return None
    return _catalog(locale).messages.get(key)


def gettext(message: str) -> str:
    found = _lookup(message)
    return found if isinstance(found, str) else message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _plural(_lookup(singular), singular, plural, n)


def pgettext(context: str, message: str) -> str:
    found = _lookup((context, message))
    return found if isinstance(found, str) else message


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _plural(_lookup((context, singular)), singular, plural, n)


def _plural(found, singular: str, plural: str, n: int) -> str:
    if isinstance(found, tuple):
        index = _catalog(current_locale.get()).plural(n)
        if 0 <= index < len(found):
            return found[index]
    return singular if n == 1 else plural


_ = gettext


def normalise(tag: str | None) -> str | None:
    """Map a user or browser tag (pt-br, pt_BR, pt) onto a supported locale."""
    if not tag:
        return None
    tag = tag.replace("-", "_").strip()
    for loc in LOCALES:
        if loc.lower() == tag.lower():
            return loc
    if tag.lower().startswith("pt"):
        return "pt_BR"
    if tag.lower().startswith("en"):
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    if not header:
        return None
    prefs = []
    for part in header.split(","):
        lang, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if lang:
            prefs.append((weight, lang.strip()))
    ordered = [lang.replace("-", "_") for _, lang in sorted(prefs, key=lambda p: -p[0])]
    found = negotiate_locale(ordered, list(LOCALES), sep="_")
    if found:
        return found
    for lang in ordered:
        n = normalise(lang)
        if n:
            return n
    return None


def display_name(locale: str) -> str:
    return LOCALE_NAMES.get(locale) or Locale.parse(locale).display_name or locale
