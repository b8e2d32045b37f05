"""Business hours: is a schedule open at an instant, and when does that next change.

Pure functions over plain dataclasses; standard library only. Everything is evaluated on the
schedule's own wall clock (IANA zone via ``zoneinfo``): an instant is converted to local time and
its local weekday, date and minute-of-day decide. Consequences at DST switches:

* a local time that does not exist (spring-forward gap) is never observed, so an interval
  boundary inside the gap takes effect at the instant the wall clock jumps past it;
* a local time that happens twice (fall-back overlap) is observed twice, so an interval covering
  it is open during both passes.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 1440
STEP_MINUTES = 15
# A weekly pattern plus yearly DST shifts: a bit more than a year of scanning sees every case
# that can recur; time covered by holidays is added on top (see next_change).
HORIZON_DAYS = 400

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Interval:
    """An opening on one weekday, in minutes from local midnight: [start, end)."""

    weekday: int  # 0=Monday..6=Sunday
    start: int  # 0..1425, multiple of 15
    end: int  # start < end <= 1440, multiple of 15; 1440 means end of day


@dataclass(frozen=True)
class Holiday:
    """Whole local days (first_day..last_day, inclusive) outside business hours."""

    name: str
    first_day: date
    last_day: date


@dataclass(frozen=True)
class Hours:
    """A weekly schedule in an IANA time zone, with holidays."""

    tz: str
    intervals: tuple[Interval, ...]
    holidays: tuple[Holiday, ...] = ()


def is_open(hours: Hours, instant: datetime) -> bool:
    """Whether ``instant`` (tz-aware) falls in business hours on the schedule's wall clock."""
    _require_aware(instant)
    return _Schedule(hours).is_open(instant)


def next_change(hours: Hours, instant: datetime) -> datetime | None:
    """The first instant strictly after ``instant`` at which ``is_open`` flips, in UTC.

    ``instant`` must be tz-aware. Candidates are the interval boundaries and local midnights
    (holidays and weekdays change there) resolved from wall-clock to UTC, plus the zone's UTC
    offset transitions (a fall-back can reopen or close an interval without any boundary).
    Each candidate is verified by evaluating ``is_open``, so spurious ones are skipped.

    The search covers local days from ``instant``'s date to ``HORIZON_DAYS`` (400) days later,
    extended by the number of holiday days on or after that date. Returns None when nothing
    flips within that horizon: no intervals at all, open 24/7 with no holidays ahead, or every
    opening falling on holidays or into non-existent local times.
    """
    _require_aware(instant)
    if not hours.intervals:
        return None
    schedule = _Schedule(hours)
    instant = instant.astimezone(UTC)
    state = schedule.is_open(instant)
    first = instant.astimezone(schedule.zone).date()
    last = first + timedelta(days=HORIZON_DAYS + _holiday_days_from(hours.holidays, first))

    prev = instant
    prev_offset = schedule.offset(prev)
    # Start a day early: with a fall-back over midnight the previous day's times recur later.
    for candidate in schedule.candidates(first - timedelta(days=1), last):
        if candidate <= prev:
            continue
        offset = schedule.offset(candidate)
        if offset != prev_offset:
            switch = schedule.transition(prev, candidate)
            if switch < candidate and schedule.is_open(switch) != state:
                return switch
        if schedule.is_open(candidate) != state:
            return candidate
        prev, prev_offset = candidate, offset
    return None


def validate_intervals(intervals: Iterable[Interval]) -> list[str]:
    """Human-readable problems with ``intervals``; an empty list when they are fine."""
    problems: list[str] = []
    valid: list[Interval] = []
    for interval in intervals:
        found = _interval_problems(interval)
        problems.extend(f"{_describe(interval)}: {problem}" for problem in found)
        if not found:
            valid.append(interval)

    valid.sort(key=lambda i: (i.weekday, i.start, i.end))
    latest: Interval | None = None  # the interval reaching furthest so far on this weekday
    for interval in valid:
        if latest is not None and latest.weekday == interval.weekday:
            if interval.start < latest.end:
                problems.append(
                    f"{_describe(interval)}: overlaps {_clock(latest.start)}-{_clock(latest.end)}"
                )
            if interval.end > latest.end:
                latest = interval
        else:
            latest = interval
    return problems


def _interval_problems(interval: Interval) -> list[str]:
    problems = []
    if not 0 <= interval.weekday <= 6:
        problems.append("weekday must be 0 (Monday) to 6 (Sunday)")
    if interval.start % STEP_MINUTES or interval.end % STEP_MINUTES:
        problems.append("start and end must be on a 15-minute step")
    if interval.start < 0:
        problems.append("start is before 00:00")
    if interval.end > MINUTES_PER_DAY:
        problems.append("end is after 24:00")
    if interval.start >= interval.end:
        problems.append("start must be before end")
    return problems


def _describe(interval: Interval) -> str:
    if 0 <= interval.weekday <= 6:
        day = WEEKDAY_NAMES[interval.weekday]
    else:
        day = f"weekday {interval.weekday}"
    return f"{day} {_clock(interval.start)}-{_clock(interval.end)}"


def _clock(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got naive {instant.isoformat()}")


def _holiday_days_from(holidays: Iterable[Holiday], day: date) -> int:
    return sum((h.last_day - max(h.first_day, day)).days + 1 for h in holidays if h.last_day >= day)


def _seconds(instant: datetime) -> int:
    return (instant - _EPOCH) // _SECOND


class _Schedule:
    """``Hours`` prepared for repeated evaluation."""

    def __init__(self, hours: Hours) -> None:
        self.zone = ZoneInfo(hours.tz)
        by_weekday: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for interval in hours.intervals:
            if 0 <= interval.weekday <= 6:
                by_weekday[interval.weekday].append((interval.start, interval.end))
        self.by_weekday = [sorted(spans) for spans in by_weekday]
        self.holidays = [(h.first_day, h.last_day) for h in hours.holidays]

    def is_holiday(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.holidays)

    def is_open(self, instant: datetime) -> bool:
        local = instant.astimezone(self.zone)
        if self.is_holiday(local.date()):
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.by_weekday[local.weekday()])

    def offset(self, instant: datetime) -> timedelta | None:
        return instant.astimezone(self.zone).utcoffset()

    def transition(self, before: datetime, after: datetime) -> datetime:
        """The first whole second in (before, after] already on ``after``'s UTC offset.

        Assumes one offset transition in between; zoneinfo transitions fall on whole seconds.
        """
        target = self.offset(after)
        low, high = _seconds(before), -(-(after - _EPOCH) // _SECOND)
        while high - low > 1:
            middle = (low + high) // 2
            if self.offset(_EPOCH + middle * _SECOND) == target:
                high = middle
            else:
                low = middle
        return _EPOCH + high * _SECOND

    def resolve(self, wall: datetime) -> list[datetime]:
        """UTC instants at which the local wall clock reads (or jumps past) ``wall``."""
        found = []
        for fold in (0, 1):
            utc = wall.replace(tzinfo=self.zone, fold=fold).astimezone(UTC)
            if utc.astimezone(self.zone).replace(tzinfo=None) == wall:
                found.append(utc)
        if found:
            return found
        # In a gap: fold=1 maps before the jump and fold=0 after it (PEP 495).
        early = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        late = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        return [self.transition(early, late)]

    def candidates(self, first: date, last: date) -> Iterator[datetime]:
        """Possible flip instants for local days first..last, ascending UTC, no duplicates."""
        heap: list[datetime] = []
        previous: datetime | None = None
        day = first
        while day <= last:
            midnight = datetime.combine(day, time())
            walls = [midnight]
            if not self.is_holiday(day):
                for start, end in self.by_weekday[day.weekday()]:
                    walls.append(midnight + timedelta(minutes=start))
                    walls.append(midnight + timedelta(minutes=end))
            for wall in walls:
                for instant in self.resolve(wall):
                    heapq.heappush(heap, instant)
            day += timedelta(days=1)
            # UTC offsets stay within a day, so later days cannot produce anything before this.
            horizon = datetime.combine(day, time(), UTC) - timedelta(days=1)
            while heap and heap[0] < horizon:
                instant = heapq.heappop(heap)
                if instant != previous:
                    previous = instant
                    yield instant
        while heap:
            instant = heapq.heappop(heap)
            if instant != previous:
                previous = instant
                yield instant
