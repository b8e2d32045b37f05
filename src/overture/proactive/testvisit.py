"""The test-a-visit panel: would this message be shown to the visit an admin describes?

The editor tests what is on its screen, saved or not (`on_screen`): the message as typed, with
the status of the saved one (a new message is a Draft). The API tests a saved message.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from overture.channels.models import Channel
from overture.i18n import gettext as _
from overture.kit.clock import utcnow
from overture.proactive.models import ProactiveMessage
from overture.proactive.rules import ConditionTree, VisitContext, explain
from overture.proactive.schemas import MessageIn, VisitIn, VisitVerdict
from overture.proactive.service import CONTENT_FIELDS, STATUS_LABELS, problems
from overture.schedules.hours import is_open
from overture.schedules.models import Schedule


def on_screen(db: Session, data: MessageIn, status: str = "draft") -> ProactiveMessage:
    """The message as the editor shows it: never added to the session, so never stored."""
    m = ProactiveMessage(status=status)
    dumped = data.model_dump(mode="json")
    for field in CONTENT_FIELDS:
        setattr(m, field, dumped[field])
    if m.brand_id is None and m.channel_id is not None:  # as a save would fill it in
        channel = db.get(Channel, m.channel_id)
        m.brand_id = channel.brand_id if channel is not None else None
    return m


def test_visit(db: Session, m: ProactiveMessage, visit: VisitIn) -> VisitVerdict:
    ctx = VisitContext(
        url=visit.url, title=visit.title, referrer=visit.referrer, language=visit.language,
        visit_history=visit.visit_history, device_type=visit.device_type,
        visit_count=visit.visit_count, pages_in_visit=visit.pages_in_visit,
        attributes=visit.attributes,
    )
    result = explain(ConditionTree.model_validate(m.conditions), ctx)
    reasons: list[str] = []
    if m.status != "live":
        reasons.append(_("The message is %(status)s: visitors see it only while it is Live.")
                       % {"status": _(STATUS_LABELS[m.status])})
    reasons.extend(p["message"] for p in problems(db, m))
    if not result["matches"]:
        reasons.append(_("The conditions do not match this visit."))
    trigger = m.trigger or {}
    if trigger.get("event") == "on_page" and visit.seconds_on_page < trigger["seconds"]:
        reasons.append(_("It appears after %(seconds)s seconds on the page.")
                       % {"seconds": trigger["seconds"]})
    timing = m.timing or {}
    if timing.get("when") in ("business_hours", "outside_business_hours"):
        schedule = db.get(Schedule, timing.get("schedule_id") or 0)
        if schedule is not None:
            open_now = is_open(schedule.hours(), utcnow())
            if timing["when"] == "business_hours" and not open_now:
                reasons.append(_("It is outside business hours now (%(schedule)s).")
                               % {"schedule": schedule.name})
            if timing["when"] == "outside_business_hours" and open_now:
                reasons.append(_("It is within business hours now (%(schedule)s).")
                               % {"schedule": schedule.name})
    return VisitVerdict(matches=result["matches"], conditions=result,
                        would_show=not reasons, reasons=reasons)
