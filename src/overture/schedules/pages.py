"""Admin pages for business-hours schedules.

The weekly hours and the holidays are rows of plain inputs, so the form works without
JavaScript: empty rows are ignored, and a few spare ones are always offered.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Depends, Request

from overture.channels.service import channels_using_schedule
from overture.deps import DB, PageAdmin, check_csrf, page_admin
from overture.i18n import gettext as _
from overture.kit.clock import utcnow
from overture.kit.ids import IdPath
from overture.schedules import service
from overture.schedules.hours import is_open
from overture.schedules.models import Schedule, to_minutes
from overture.schedules.schemas import ScheduleIn, SchedulePatch
from overture.web.forms import PostedForm, labelled, many, one, submit
from overture.web.templating import ask_before_delete, flash_to, render

router = APIRouter(
    prefix="/admin/schedules", include_in_schema=False,
    dependencies=[Depends(check_csrf), Depends(page_admin)],
)

MIN_INTERVAL_ROWS = 10
MIN_HOLIDAY_ROWS = 4
SPARE_ROWS = 3
_SECONDS = re.compile(r"^(\d\d:\d\d):00(\.0+)?$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_DAYS = {str(n) for n in range(7)}


# Offered first in the time-zone picker: where most of our customers' teams work.
COMMON_ZONES = (
    "America/Sao_Paulo", "America/Manaus", "America/Fortaleza", "America/Recife",
    "America/Argentina/Buenos_Aires", "America/Santiago", "America/Bogota", "America/Lima",
    "America/Mexico_City", "America/New_York", "America/Chicago", "America/Denver",
    "America/Los_Angeles", "Europe/Lisbon", "Europe/London", "Europe/Madrid", "Europe/Paris",
    "Europe/Berlin", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore",
    "Asia/Tokyo", "Australia/Sydney", "UTC",
)


@cache
def time_zones() -> list[str]:
    return sorted(available_timezones())


def _offset(zone: str, at: datetime) -> str:
    minutes = int((at.astimezone(ZoneInfo(zone)).utcoffset() or timedelta()).total_seconds()
                  // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@cache
def _zone_options(hour: datetime) -> tuple[tuple[tuple[str, str], ...], ...]:
    """(zone, "zone (UTC−03:00)") for the common zones, then for all the others, with the
    offsets of this hour (they change with daylight saving time)."""
    known = set(time_zones())
    common = tuple((z, f"{z} ({_offset(z, hour)})") for z in COMMON_ZONES if z in known)
    chosen = set(COMMON_ZONES)
    others = tuple((z, f"{z} ({_offset(z, hour)})") for z in time_zones() if z not in chosen)
    return common, others


def zone_groups(current: str) -> list[dict[str, Any]]:
    """The time-zone picker's groups; a zone this server does not know (typed through the
    API on another server, say) is offered as it is, so that the form shows what is saved."""
    common, others = _zone_options(utcnow().replace(minute=0, second=0, microsecond=0))
    groups = [{"label": _("Common time zones"), "zones": common},
              {"label": _("All time zones"), "zones": others}]
    if current and current not in time_zones():
        groups.insert(0, {"label": _("Saved"), "zones": ((current, current),)})
    return groups


def weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
            _("Saturday"), _("Sunday")]


def _clock(value: str) -> str:
    """A browser's time input may add seconds (09:00:00); the schema wants HH:MM."""
    value = value.strip()
    match = _SECONDS.match(value)
    return match.group(1) if match else value


INTERVAL_COLUMNS = (("weekday", "weekday", "0"), ("start", "start", ""), ("end", "end", ""))
HOLIDAY_COLUMNS = (("holiday_name", "name", ""), ("first_day", "first_day", ""),
                   ("last_day", "last_day", ""))


def _table(form: dict[str, Any], columns: tuple[tuple[str, str, str], ...]) -> list[dict]:
    """A table's posted rows: one list per input name, read across (`columns` holds the input
    name, the row's key and the value a short column gives)."""
    values = {name: many(form, name) for name, _key, _blank in columns}
    height = max(len(v) for v in values.values())
    return [{key: values[name][i] if i < len(values[name]) else blank
             for name, key, blank in columns} for i in range(height)]


def _rows(form: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """The posted rows, as typed (for showing the form again)."""
    return _table(form, INTERVAL_COLUMNS), _table(form, HOLIDAY_COLUMNS)


def _from_form(form: dict[str, Any]) -> dict[str, Any]:
    """ScheduleIn input without the empty rows: the rows kept are those shown again after a
    refusal (`_redisplay`), in the same order, so that an error's row index is the form's."""
    intervals, holidays = _rows(form)
    data: dict[str, Any] = {"name": one(form, "name"), "timezone": one(form, "timezone").strip(),
                            "intervals": [], "holidays": []}
    for row in intervals:
        start, end = _clock(row["start"]), _clock(row["end"])
        if not start and not end:
            continue
        if start and end == "00:00":
            end = "24:00"  # a time input cannot say 24:00; midnight as the end means end of day
        data["intervals"].append({"weekday": row["weekday"], "start": start, "end": end})
    for row in holidays:
        name, first, last = row["name"].strip(), row["first_day"].strip(), row["last_day"].strip()
        if not (name or first or last):
            continue
        data["holidays"].append({"name": name, "first_day": first, "last_day": last or first})
    return data


_ROW = re.compile(r"^(intervals|holidays)\.(\d+)$")


def _readable(errors: list[dict[str, str]], raw: dict[str, Any]) -> list[dict[str, str]]:
    """The refusal in the form's words: labels as beside the inputs, rows counted as the form
    shows them again (its empty rows are dropped), a row's rule said of its fields, and an
    overlap said of each row concerned (static/form-errors.js marks the inputs by `path`)."""
    labels = {"name": _("Name"), "timezone": _("Time zone"), "intervals": _("Weekly hours"),
              "holidays": _("Holidays"), "weekday": _("Day"), "start": _("Start"),
              "end": _("End"), "first_day": _("First day"), "last_day": _("Last day")}
    row = _("row %(n)s")
    shown = {name: list(range(1, len(raw[name]) + 1)) for name in ("intervals", "holidays")}
    out = []
    for err in labelled(errors, labels,
                        positions={name: (row, kept) for name, kept in shown.items()}):
        whole_row = _ROW.match(err["path"])
        if whole_row and whole_row.group(1) == "intervals":
            err["msg"] = _("the end must be after the start (an interval may not cross "
                           "midnight)")
        elif whole_row:
            err["msg"] = _("the last day must not be before the first day")
        elif err["path"] == "timezone" and not raw["timezone"]:
            err["msg"] = _("choose a time zone")
        elif err["path"] == "intervals":
            overlaps = _overlaps(raw, weekday_names())
            if overlaps:
                out.extend({"field": f"{labels['intervals']}, {row % {'n': i + 1}}",
                            "path": f"intervals.{i}", "row": str(i + 1), "msg": msg}
                           for i, msg in overlaps)
                continue
        out.append(err)
    return out


def _overlaps(raw: dict[str, Any], weekdays: list[str]) -> list[tuple[int, str]]:
    """Each row of the weekly hours that overlaps another row, with what it overlaps."""
    spans: list[tuple[int, int, int] | None] = []
    for row in raw["intervals"]:
        start, end = row["start"], row["end"]
        if not (_TIME.match(start) and _TIME.match(end)) or row["weekday"] not in _DAYS:
            spans.append(None)
            continue
        spans.append((int(row["weekday"]), to_minutes(start), to_minutes(end)))
    found = []
    for i, a in enumerate(spans):
        other = next((j for j, b in enumerate(spans) if j != i and a is not None
                      and b is not None and a[0] == b[0] and a[1] < b[2] and b[1] < a[2]), None)
        if a is None or other is None:
            continue
        theirs = raw["intervals"][other]
        end = "00:00" if theirs["end"] == "24:00" else theirs["end"]
        found.append((i, _("overlaps %(day)s %(start)s–%(end)s") % {
            "day": weekdays[a[0]], "start": theirs["start"], "end": end}))
    return found


def _form_of(schedule: Schedule) -> dict[str, Any]:
    return {
        "name": schedule.name,
        "timezone": schedule.timezone,
        "intervals": [{"weekday": str(i["weekday"]), "start": i["start"], "end": i["end"]}
                      for i in schedule.intervals],
        "holidays": [dict(h) for h in schedule.holidays],
    }


def _padded(rows: list[dict], minimum: int, blank: dict) -> list[dict]:
    return rows + [dict(blank) for _n in range(max(SPARE_ROWS, minimum - len(rows)))]


def _render_form(request: Request, schedule: Schedule | None, form: dict[str, Any],
                 errors: list[dict[str, str]] | None = None, status_code: int = 200):
    intervals = _padded(form.get("intervals", []), MIN_INTERVAL_ROWS,
                        {"weekday": "0", "start": "", "end": ""})
    for row in intervals:
        if row["end"] == "24:00":  # shown as midnight; saved back as 24:00 (see _from_form)
            row["end"] = "00:00"
    holidays = _padded(form.get("holidays", []), MIN_HOLIDAY_ROWS,
                       {"name": "", "first_day": "", "last_day": ""})
    return render(request, "admin/schedule_form.html", status_code=status_code,
                  schedule=schedule, form=form, intervals=intervals, holidays=holidays,
                  weekdays=weekday_names(), zone_groups=zone_groups(form.get("timezone", "")),
                  errors=errors or [])


def _refused(request: Request, schedule: Schedule | None, form: dict[str, Any],
             raw: dict[str, Any], errors: list[dict[str, str]]):
    return _render_form(request, schedule, _redisplay(form), _readable(errors, raw), 422)


def _redisplay(form: dict[str, Any]) -> dict[str, Any]:
    intervals, holidays = _rows(form)
    keep = [r for r in intervals if r["start"].strip() or r["end"].strip()]
    days = [h for h in holidays if any(v.strip() for v in h.values())]
    return {"name": one(form, "name"), "timezone": one(form, "timezone"),
            "intervals": keep, "holidays": days}


@router.get("")
def schedules_page(request: Request, db: DB, user: PageAdmin):
    schedules = service.list_schedules(db, user)
    now = utcnow()
    open_now = {s.id: is_open(s.hours(), now) for s in schedules}
    return render(request, "admin/schedules.html", schedules=schedules, open_now=open_now)


@router.get("/new")
def new_schedule(request: Request, user: PageAdmin):
    return _render_form(request, None, {"name": "", "timezone": "", "intervals": [],
                                        "holidays": []})


@router.post("/new")
def create_schedule(request: Request, db: DB, user: PageAdmin, form: PostedForm):
    raw = _from_form(form)
    outcome = submit(db, ScheduleIn, raw, lambda data: service.create_schedule(db, data))
    if outcome.refused:
        return _refused(request, None, form, raw, outcome.errors)
    return flash_to(request, _("Schedule created."), "/admin/schedules")


@router.get("/{schedule_id}")
def edit_schedule(schedule_id: IdPath, request: Request, db: DB, user: PageAdmin):
    schedule = service.access_schedule(db, user, schedule_id)
    return _render_form(request, schedule, _form_of(schedule))


@router.post("/{schedule_id}")
def update_schedule(schedule_id: IdPath, request: Request, db: DB, user: PageAdmin,
                    form: PostedForm):
    schedule = service.access_schedule(db, user, schedule_id)
    raw = _from_form(form)
    # The form holds the whole schedule: every field is replaced by what was posted.
    outcome = submit(db, ScheduleIn, raw, lambda data: service.update_schedule(
        db, schedule, SchedulePatch(**data.model_dump())))
    if outcome.refused:
        return _refused(request, schedule, form, raw, outcome.errors)
    return flash_to(request, _("Schedule saved."), "/admin/schedules")


@router.get("/{schedule_id}/delete")
def confirm_delete(schedule_id: IdPath, request: Request, db: DB, user: PageAdmin):
    schedule = service.access_schedule(db, user, schedule_id)
    using = channels_using_schedule(db, schedule.id)
    warning = None
    if using:
        warning = _("These channels use this schedule and will have no business hours: "
                    "%(names)s. Proactive messages shown during or outside these hours will "
                    "stop.") % {"names": ", ".join(c.name for c in using)}
    return ask_before_delete(request, schedule.name,
                             f"/admin/schedules/{schedule.id}/delete", "/admin/schedules",
                             warning=warning)


@router.post("/{schedule_id}/delete")
def delete_schedule(schedule_id: IdPath, request: Request, db: DB, user: PageAdmin):
    service.delete_schedule(db, service.access_schedule(db, user, schedule_id))
    return flash_to(request, _("Schedule deleted."), "/admin/schedules")
