"""What the proactive-message editor says: refusals by the labels the admin sees, the tag
rule in words, the languages a condition offers, and the test of the message on the screen.

Paths (`conditions.all.1.value`, `trigger.on_page.seconds`) are for the editor's script, which
marks the field; an admin reads the label beside it ("Condition 2 (Page URL), Value").
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from fastapi import Body
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from overture import i18n
from overture.accounts.models import User
from overture.i18n import gettext as _
from overture.proactive import service, testvisit
from overture.proactive.schemas import MessageIn, VisitIn
from overture.web.forms import field_errors

# Pydantic names the member of a union in its paths (`trigger.on_page.seconds`); the editor has
# one set of inputs per field, so the member is dropped (`trigger.seconds`).
_UNION_MEMBERS = {"response": {"agent", "bot"}, "trigger": {"on_page", "page_load"},
                  "timing": {"any_time", "business_hours", "outside_business_hours"}}
_CONDITION_KEYS = ("field", "operator", "value")
# SPEC §2: tags are lower-case words of letters, digits, _, - and :; at most 20 (schemas.py).
_TAG = re.compile(r"^[a-z0-9_:\-]{1,50}$")
MAX_TAGS = 20
MAX_TAG_LENGTH = 50

# BCP 47 tags a language condition is most often about, the language alone first (pt matches
# pt-BR and pt-PT). Their names come from Babel, in the page's language.
COMMON_LANGUAGES = (
    "pt", "pt-BR", "pt-PT", "en", "en-US", "en-GB", "es", "es-ES", "es-MX", "es-419",
    "fr", "fr-FR", "fr-CA", "de", "de-DE", "it", "nl", "sv", "da", "nb", "fi", "pl", "cs",
    "ru", "uk", "tr", "el", "ar", "he", "hi", "id", "vi", "th", "ja", "ko", "zh", "zh-CN",
    "zh-TW",
)


def normal_path(path: str) -> str:
    parts = path.split(".") if path else []
    if len(parts) > 1 and parts[1] in _UNION_MEMBERS.get(parts[0], ()):
        del parts[1]
    return ".".join(parts)


def field_labels() -> dict[str, str]:
    """The label beside each input of the editor, by the (normal) path of its field."""
    replies = _("When the customer replies")
    return {
        "payload": _("Form"),
        "name": _("Name"),
        "brand_id": _("Brand"),
        "channel_id": _("Channel"),
        "message": _("Message"),
        "response": replies,
        "response.type": replies,
        "response.follow_up": _("Follow-up message"),
        "response.collect": _("Ask the customer for"),
        "response.bot_id": _("Bot"),
        "response.answer_id": _("Answer"),
        "conditions": _("Conditions"),
        "trigger": _("Trigger"),
        "trigger.event": _("Trigger"),
        "trigger.seconds": _("Time on the page (minutes and seconds)"),
        "tags": _("Ticket tags"),
        "timing": _("Timing"),
        "timing.when": _("Timing"),
        "timing.schedule_id": _("Schedule"),
        "frequency": _("Frequency"),
        "priority": _("Priority"),
        "settings": _("Settings"),
    }


def condition_field_name(field: Any) -> str:
    """A condition's field as the builder names it ("Page URL", "Attribute “plan”")."""
    names = {"page_url": _("Page URL"), "page_title": _("Page title"),
             "visit_history": _("Visit history"), "language": _("Language"),
             "referrer": _("Referrer"), "device_type": _("Device type"),
             "visit_count": _("Visit count"), "pages_in_visit": _("Pages in visit")}
    text = str(field)
    if text.startswith("attribute."):
        return _("Attribute “%(name)s”") % {"name": text.removeprefix("attribute.")}
    return names.get(text, text)


def _is_group(node: Any) -> bool:
    return (isinstance(node, dict) and not any(k in node for k in _CONDITION_KEYS)
            and ("all" in node or "any" in node))


def condition_words(rest: list[str], tree: Any) -> str:
    """`all.3.any.1.value` as the builder shows it: "Nested group 1, Condition 2 (Language),
    Value". Conditions and nested groups are numbered apart, each within its group, as the
    builder numbers them."""
    words: list[str] = []
    node, i = tree, 0
    while i + 1 < len(rest) and rest[i] in ("all", "any") and rest[i + 1].isdigit():
        index = int(rest[i + 1])
        siblings = node.get(rest[i]) if isinstance(node, dict) else None
        siblings = siblings if isinstance(siblings, list) else []
        child = siblings[index] if index < len(siblings) else None
        if _is_group(child):
            n = 1 + sum(1 for c in siblings[:index] if _is_group(c))
            words.append(_("Nested group %(n)s") % {"n": n})
        else:
            n = 1 + sum(1 for c in siblings[:index] if not _is_group(c))
            field = child.get("field") if isinstance(child, dict) else None
            if isinstance(field, str) and field:
                words.append(_("Condition %(n)s (%(field)s)")
                             % {"n": n, "field": condition_field_name(field)})
            else:
                words.append(_("Condition %(n)s") % {"n": n})
        node, i = child, i + 2
    tail = rest[i:]
    if tail and tail[0] == "value" and len(tail) > 1 and tail[1].isdigit():
        words.append(_("Value %(n)s") % {"n": int(tail[1]) + 1})
    elif tail:
        part = {"field": _("Field"), "operator": _("Operator"), "value": _("Value")}.get(tail[0])
        if part:
            words.append(part)
    return ", ".join(words) or _("Conditions")


def tag_words() -> dict[str, str]:
    """The tag rule's refusals, for the server and (with {tag}-style slots) the editor."""
    return {
        "too_many": _("At most %(n)s tags.") % {"n": MAX_TAGS},
        "space": _("“%(tag)s” has a space: a tag is one word. Join words with - or _ "
                   "(%(example)s), or separate tags with commas."),
        "too_long": _("“%(tag)s” is too long: at most %(n)s characters."),
        "characters": _("“%(tag)s” may have only letters, digits, _, - and :."),
    }


def tag_problem(tags: Any) -> str | None:
    """What is wrong with the tags, in the words the editor uses before it sends them."""
    if not isinstance(tags, list):
        return None
    words = tag_words()
    if len(tags) > MAX_TAGS:
        return words["too_many"]
    for raw in tags:
        tag = str(raw).strip()
        if any(c.isspace() for c in tag):
            return words["space"] % {"tag": tag, "example": "-".join(tag.lower().split())}
        if len(tag) > MAX_TAG_LENGTH:
            return words["too_long"] % {"tag": tag[:20] + "…", "n": MAX_TAG_LENGTH}
        if not _TAG.match(tag.lower()):
            return words["characters"] % {"tag": tag}
    return None


def readable(errors: list[dict[str, str]], posted: Any = None) -> list[dict[str, str]]:
    """Errors as shown beside the form: the field by its label, its path (for the script that
    marks the field, never shown), the message in words the admin can act on."""
    posted = posted if isinstance(posted, dict) else {}
    labels = field_labels()
    out = []
    for err in errors:
        path = normal_path(err.get("field", ""))
        parts = path.split(".") if path else []
        msg = err.get("msg", "")
        if not parts:
            field = ""
        elif parts[0] == "conditions":
            field = condition_words(parts[1:], posted.get("conditions"))
        else:
            field = labels.get(".".join(parts[:2])) or labels.get(parts[0]) or _("Form")
        if parts[:2] == ["trigger", "seconds"]:
            msg = _("Set the minutes and seconds to a time from 1 second to 60 minutes.")
        elif parts[:1] == ["tags"]:
            msg = tag_problem(posted.get("tags")) or msg
        out.append({"field": field, "path": path, "msg": msg})
    return out


def languages() -> list[dict[str, str]]:
    """The common language tags with their names in the page's language."""
    here = Locale.parse(i18n.current_locale.get())
    out = []
    for tag in COMMON_LANGUAGES:
        try:
            name = Locale.parse(tag, sep="-").get_display_name(here) or tag
        except (UnknownLocaleError, ValueError):
            name = tag
        out.append({"tag": tag, "name": name[:1].upper() + name[1:]})
    return out


# -- test a visit, as the message is on the screen ------------------------------------------

TestBody = Annotated[dict[str, Any], Body()]


def _visit_labels() -> dict[str, str]:
    return {"url": _("URL"), "title": _("Title"), "referrer": _("Referrer"),
            "language": _("Language"), "visit_history": _("Visit history"),
            "device_type": _("Device"), "visit_count": _("Visit count"),
            "pages_in_visit": _("Pages in visit"), "seconds_on_page": _("Seconds on page"),
            "attributes": _("Attributes")}


def _refusal(details: list[dict[str, str]]) -> JSONResponse:
    return JSONResponse({"error": {"code": "validation_error",
                                   "message": _("The test could not run:"),
                                   "details": details}}, status_code=422)


def test_on_screen(db: Session, user: User, body: dict[str, Any]) -> JSONResponse:
    """`{"message_id": N or null, "message": {...as the editor posts it}, "visit": {...}}`:
    the verdict for the message as typed, with the status of the saved message (a new one is
    a Draft). Nothing is stored."""
    message_id = body.get("message_id")
    if message_id is not None and (isinstance(message_id, bool)
                                   or not isinstance(message_id, int)):
        return _refusal([{"field": _("Form"), "path": "message_id",
                          "msg": _("The form could not be read. Reload the page and try again.")}])
    saved = service.access_message(db, user, message_id) if message_id is not None else None
    posted = body.get("message")
    if not isinstance(posted, dict):
        return _refusal([{"field": _("Form"), "path": "payload",
                          "msg": _("The form could not be read. Reload the page and try again.")}])
    # The name says nothing about who sees the message: a new one may not have one yet.
    if not str(posted.get("name") or "").strip():
        posted = {**posted, "name": "—"}
    details: list[dict[str, str]] = []
    data = visit = None
    try:
        data = MessageIn.model_validate(posted)
    except ValidationError as exc:
        details += readable(field_errors(exc), posted)
    raw_visit = body.get("visit")
    try:
        visit = VisitIn.model_validate(raw_visit if isinstance(raw_visit, dict) else {})
    except ValidationError as exc:
        labels = _visit_labels()
        for err in field_errors(exc):
            head = err["field"].split(".")[0]
            details.append({"field": labels.get(head, _("Form")), "path": f"visit.{head}",
                            "msg": err["msg"]})
    if data is None or visit is None:
        return _refusal(details)
    m = testvisit.on_screen(db, data, saved.status if saved is not None else "draft")
    return JSONResponse(testvisit.test_visit(db, m, visit).model_dump(mode="json"))
