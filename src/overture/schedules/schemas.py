from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from overture.i18n import gettext as _
from overture.kit.schemas import IsoDate, Strict, described, rule_broken
from overture.kit.text import PlainName
from overture.schedules.hours import Interval, validate_intervals
from overture.schedules.models import to_minutes

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(value: str) -> str:
    if value not in _zones():
        raise ValueError(_("%(value)s is not an IANA time zone (e.g. America/Sao_Paulo)")
                         % {"value": repr(value)})
    return value


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(_("%(value)s is not a time like 09:00 (24:00 ends the day)")
                         % {"value": repr(value)})
    if to_minutes(value) % 15:
        raise ValueError(_("%(value)s is not on a 15-minute step") % {"value": repr(value)})
    return value


# The description says what the validators accept: one of the IANA zones this server knows,
# a time on a 15-minute step.
TimeZone = Annotated[str, AfterValidator(_zone), WithJsonSchema(
    {"x-component": "TimeZone", "type": "string", "enum": sorted(_zones()),
     "examples": ["America/Sao_Paulo"]})]
HHMM = Annotated[str, AfterValidator(_hhmm), described(r"^(([01]\d|2[0-3]):(00|15|30|45)|24:00)$")]


class IntervalIn(Strict):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    start: HHMM
    end: HHMM

    @model_validator(mode="after")
    def _order(self) -> IntervalIn:
        if to_minutes(self.start) >= to_minutes(self.end):
            raise rule_broken(_("start must be before end (an interval may not cross midnight)"))
        return self


class HolidayIn(Strict):
    name: PlainName
    first_day: IsoDate
    last_day: IsoDate

    @model_validator(mode="after")
    def _order(self) -> HolidayIn:
        if self.last_day < self.first_day:
            raise rule_broken(_("last_day must not be before first_day"))
        return self


def _weekday(n: int) -> str:
    return (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
            _("Saturday"), _("Sunday"))[n]


def _overlaps(intervals: list[IntervalIn]) -> list[str]:
    """Intervals of a day that overlap, in the page's language. Each interval on its own is
    already valid here (weekday, 15-minute steps, start before end): only overlaps remain."""
    problems: list[str] = []
    latest: IntervalIn | None = None  # the interval reaching furthest so far on this weekday
    for i in sorted(intervals, key=lambda i: (i.weekday, to_minutes(i.start), to_minutes(i.end))):
        if latest is not None and latest.weekday == i.weekday:
            if to_minutes(i.start) < to_minutes(latest.end):
                problems.append(_("%(day)s %(start)s-%(end)s: overlaps %(other_start)s-"
                                  "%(other_end)s") % {
                    "day": _weekday(i.weekday), "start": i.start, "end": i.end,
                    "other_start": latest.start, "other_end": latest.end})
            if to_minutes(i.end) > to_minutes(latest.end):
                latest = i
        else:
            latest = i
    return problems


def _intervals_ok(intervals: list[IntervalIn]) -> list[IntervalIn]:
    problems = _overlaps(intervals) or validate_intervals(
        [Interval(i.weekday, to_minutes(i.start), to_minutes(i.end)) for i in intervals]
    )
    if problems:
        raise rule_broken("; ".join(problems))
    return intervals


Intervals = Annotated[list[IntervalIn], Field(max_length=7 * 96), AfterValidator(_intervals_ok)]


class ScheduleIn(Strict):
    name: PlainName
    timezone: TimeZone
    intervals: Intervals = Field(default_factory=list)
    holidays: list[HolidayIn] = Field(default_factory=list, max_length=366)


class SchedulePatch(Strict):
    """Fields left out stay as they are; none of them may be null."""

    name: PlainName = None  # type: ignore[assignment]
    timezone: TimeZone = None  # type: ignore[assignment]
    intervals: Intervals = None  # type: ignore[assignment]
    holidays: list[HolidayIn] = Field(default=None, max_length=366)  # type: ignore[assignment]


class ScheduleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    timezone: str
    intervals: list[dict]
    holidays: list[dict]
    created_at: datetime
    updated_at: datetime


class ScheduleStatus(BaseModel):
    open: bool
    next_change: datetime | None
