"""English and Brazilian Portuguese, from Babel message catalogues.

The .po files are read directly at start-up (no compile step to forget); the current
locale lives in a context variable set per request.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.pofile import read_po

LOCALES = ("en", "pt_BR")
LOCALE_NAMES = {"en": "English", "pt_BR": "Português (Brasil)"}
_DIR = Path(__file__).parent / "locale"

current_locale: ContextVar[str] = ContextVar("current_locale", default="en")


@cache
def _catalog(locale: str) -> dict[str, str]:
    path = _DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        cat = read_po(f, locale=locale)
    return {m.id: m.string for m in cat if m.id and m.string and not m.fuzzy}


def gettext(message: str) -> str:
    locale = current_locale.get()
    if locale == "en":
        return message
    return _catalog(locale).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


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
