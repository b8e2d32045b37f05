"""English and Brazilian Portuguese, from Babel message catalogues.

Each locale's .po file is compiled by Babel in memory the first time the locale is used (no
compile step to forget, no .mo file to ship) and served by `babel.support.Translations`; the
current locale lives in a context variable set per request.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("en", "pt_BR")
LOCALE_NAMES = {"en": "English", "pt_BR": "Português (Brasil)"}
_DIR = Path(__file__).parent / "locale"

current_locale: ContextVar[str] = ContextVar("current_locale", default="en")


@cache
def _catalog(locale: str) -> NullTranslations:
    """The locale's translations; fuzzy entries are left out, as gettext's tools do."""
    path = _DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as f:
        catalogue = read_po(f, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def gettext(message: str) -> str:
    return _catalog(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog(current_locale.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return _catalog(current_locale.get()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _catalog(current_locale.get()).npgettext(context, singular, plural, n)


def normalise(tag: str | None) -> str | None:
    """Map a user or browser tag (pt-br, pt_BR, pt, pt-PT, en-US) onto a supported locale: the
    exact tag, then the first supported locale of its primary subtag (`ptx` is not `pt`)."""
    if not tag:
        return None
    tag = tag.replace("-", "_").strip().lower()
    primary = tag.split("_")[0]
    for loc in LOCALES:
        if loc.lower() == tag:
            return loc
    for loc in LOCALES:
        if loc.lower().split("_")[0] == primary:
            return loc
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
