"""Business-hours calculator: is_open, next_change, validate_intervals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overture.schedules.hours import (
    Holiday,
    Hours,
    Interval,
    is_open,
    next_change,
    validate_intervals,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def hm(clock: str) -> int:
    """Minutes from midnight for "HH:MM" ("24:00" allowed)."""
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def iv(weekday: int, start: str, end: str) -> Interval:
    return Interval(weekday, hm(start), hm(end))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def weekdays(start: str, end: str) -> tuple[Interval, ...]:
    return tuple(iv(day, start, end) for day in range(MON, SAT))


ALWAYS = tuple(iv(day, "00:00", "24:00") for day in range(7))

SAO_PAULO = Hours("America/Sao_Paulo", weekdays("09:00", "18:00"))
LISBON = Hours("Europe/Lisbon", weekdays("09:00", "18:00"))
NEW_YORK = Hours("America/New_York", weekdays("09:00", "17:00"))
# Good Friday 2026-04-03 through Monday 2026-04-06.
EASTER = Holiday("Easter break", date(2026, 4, 3), date(2026, 4, 6))
SAO_PAULO_EASTER = Hours("America/Sao_Paulo", weekdays("09:00", "18:00"), (EASTER,))
SAO_PAULO_ALWAYS_GOOD_FRIDAY = Hours(
    "America/Sao_Paulo", ALWAYS, (Holiday("Good Friday", date(2026, 4, 3), date(2026, 4, 3)),)
)
ADJACENT = Hours("America/Sao_Paulo", (iv(MON, "09:00", "12:00"), iv(MON, "12:00", "18:00")))
OVERNIGHT = Hours("America/Sao_Paulo", (iv(MON, "22:00", "24:00"), iv(TUE, "00:00", "06:00")))
LATE_FRIDAY = Hours("America/Sao_Paulo", (iv(FRI, "20:00", "24:00"),))
# Sunday intervals around the New York switches: 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC),
# 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC).
NY_SUN_01_03 = Hours("America/New_York", (iv(SUN, "01:00", "03:00"),))
NY_SUN_0200_0230 = Hours("America/New_York", (iv(SUN, "02:00", "02:30"),))
NY_SUN_0230_0400 = Hours("America/New_York", (iv(SUN, "02:30", "04:00"),))
NY_SUN_0130_0200 = Hours("America/New_York", (iv(SUN, "01:30", "02:00"),))
NY_SUN_0100_0130 = Hours("America/New_York", (iv(SUN, "01:00", "01:30"),))


IS_OPEN_CASES = [
    # America/Sao_Paulo: UTC-3 all year.
    ("sao-paulo-mon-0859-closed", SAO_PAULO, utc(2026, 3, 2, 11, 59), False),
    ("sao-paulo-mon-0900-open", SAO_PAULO, utc(2026, 3, 2, 12, 0), True),
    ("sao-paulo-mon-1759-open", SAO_PAULO, utc(2026, 3, 2, 20, 59, 59), True),
    ("sao-paulo-mon-1800-closed", SAO_PAULO, utc(2026, 3, 2, 21, 0), False),
    ("sao-paulo-sat-closed", SAO_PAULO, utc(2026, 3, 7, 15, 0), False),
    ("sao-paulo-july-same-offset", SAO_PAULO, utc(2026, 7, 15, 12, 0), True),
    # Europe/Lisbon: UTC+0 in winter, UTC+1 in summer.
    ("lisbon-winter-0859-closed", LISBON, utc(2026, 1, 14, 8, 59), False),
    ("lisbon-winter-0900-open", LISBON, utc(2026, 1, 14, 9, 0), True),
    ("lisbon-winter-1800-closed", LISBON, utc(2026, 1, 14, 18, 0), False),
    ("lisbon-summer-0759utc-closed", LISBON, utc(2026, 7, 15, 7, 59), False),
    ("lisbon-summer-0800utc-open", LISBON, utc(2026, 7, 15, 8, 0), True),
    ("lisbon-summer-1659utc-open", LISBON, utc(2026, 7, 15, 16, 59), True),
    ("lisbon-summer-1700utc-closed", LISBON, utc(2026, 7, 15, 17, 0), False),
    # Spring forward: 01:00-03:00 holds only one real hour.
    ("ny-spring-0100-est-open", NY_SUN_01_03, utc(2026, 3, 8, 6, 0), True),
    ("ny-spring-0159-est-open", NY_SUN_01_03, utc(2026, 3, 8, 6, 59, 59), True),
    ("ny-spring-0300-edt-closed", NY_SUN_01_03, utc(2026, 3, 8, 7, 0), False),
    ("ny-spring-gap-interval-before", NY_SUN_0200_0230, utc(2026, 3, 8, 6, 59), False),
    ("ny-spring-gap-interval-after", NY_SUN_0200_0230, utc(2026, 3, 8, 7, 0), False),
    ("ny-spring-gap-interval-next-week", NY_SUN_0200_0230, utc(2026, 3, 15, 6, 15), True),
    ("ny-spring-start-in-gap-opens-at-jump", NY_SUN_0230_0400, utc(2026, 3, 8, 7, 0), True),
    # Fall back: 01:00-02:00 happens twice, so 01:00-03:00 holds three real hours.
    ("ny-fall-0059-edt-closed", NY_SUN_01_03, utc(2026, 11, 1, 4, 59), False),
    ("ny-fall-0100-edt-open", NY_SUN_01_03, utc(2026, 11, 1, 5, 0), True),
    ("ny-fall-0130-est-open", NY_SUN_01_03, utc(2026, 11, 1, 6, 30), True),
    ("ny-fall-0259-est-open", NY_SUN_01_03, utc(2026, 11, 1, 7, 59), True),
    ("ny-fall-0300-est-closed", NY_SUN_01_03, utc(2026, 11, 1, 8, 0), False),
    ("ny-fall-0145-edt-open", NY_SUN_0130_0200, utc(2026, 11, 1, 5, 45), True),
    ("ny-fall-0115-est-closed", NY_SUN_0130_0200, utc(2026, 11, 1, 6, 15), False),
    ("ny-fall-0145-est-open", NY_SUN_0130_0200, utc(2026, 11, 1, 6, 45), True),
    # Holidays close whole local days, including a Friday-Monday span.
    ("holiday-thu-before-open", SAO_PAULO_EASTER, utc(2026, 4, 2, 15, 0), True),
    ("holiday-fri-closed", SAO_PAULO_EASTER, utc(2026, 4, 3, 15, 0), False),
    ("holiday-mon-closed", SAO_PAULO_EASTER, utc(2026, 4, 6, 15, 0), False),
    ("holiday-tue-after-open", SAO_PAULO_EASTER, utc(2026, 4, 7, 15, 0), True),
    ("holiday-local-date-not-utc-before", SAO_PAULO_ALWAYS_GOOD_FRIDAY, utc(2026, 4, 3, 2), True),
    ("holiday-local-date-not-utc-last", SAO_PAULO_ALWAYS_GOOD_FRIDAY, utc(2026, 4, 4, 2), False),
    ("holiday-local-date-not-utc-after", SAO_PAULO_ALWAYS_GOOD_FRIDAY, utc(2026, 4, 4, 3), True),
    # End of day and adjacency.
    ("end-2400-fri-2359-open", LATE_FRIDAY, utc(2026, 3, 7, 2, 59, 59), True),
    ("end-2400-sat-0000-closed", LATE_FRIDAY, utc(2026, 3, 7, 3, 0), False),
    ("adjacent-1200-open", ADJACENT, utc(2026, 3, 2, 15, 0), True),
    ("overnight-mon-2359-open", OVERNIGHT, utc(2026, 3, 3, 2, 59), True),
    ("overnight-tue-0000-open", OVERNIGHT, utc(2026, 3, 3, 3, 0), True),
    ("overnight-tue-0600-closed", OVERNIGHT, utc(2026, 3, 3, 9, 0), False),
    ("no-intervals-closed", Hours("UTC", ()), utc(2026, 3, 2, 12), False),
]


@pytest.mark.parametrize(
    ("hours", "instant", "expected"),
    [case[1:] for case in IS_OPEN_CASES],
    ids=[case[0] for case in IS_OPEN_CASES],
)
def test_is_open(hours: Hours, instant: datetime, expected: bool) -> None:
    assert is_open(hours, instant) is expected


NEXT_CHANGE_CASES = [
    ("sao-paulo-open-to-close", SAO_PAULO, utc(2026, 3, 6, 15, 0), utc(2026, 3, 6, 21, 0)),
    ("sao-paulo-at-opening-is-strict", SAO_PAULO, utc(2026, 3, 2, 12), utc(2026, 3, 2, 21)),
    ("sao-paulo-across-weekend", SAO_PAULO, utc(2026, 3, 6, 21, 0), utc(2026, 3, 9, 12, 0)),
    ("lisbon-winter", LISBON, utc(2026, 1, 14, 7, 0), utc(2026, 1, 14, 9, 0)),
    ("lisbon-summer", LISBON, utc(2026, 7, 15, 7, 0), utc(2026, 7, 15, 8, 0)),
    ("lisbon-weekend-through-dst", LISBON, utc(2026, 3, 27, 18), utc(2026, 3, 30, 8)),
    ("ny-weekend-through-spring", NEW_YORK, utc(2026, 3, 6, 22), utc(2026, 3, 9, 13)),
    ("ny-weekend-through-fall", NEW_YORK, utc(2026, 10, 30, 21), utc(2026, 11, 2, 14)),
    ("holiday-closes-at-evening", SAO_PAULO_EASTER, utc(2026, 4, 2, 15), utc(2026, 4, 2, 21)),
    ("holiday-skipped-fri-mon", SAO_PAULO_EASTER, utc(2026, 4, 2, 21), utc(2026, 4, 7, 12)),
    ("holiday-from-inside", SAO_PAULO_EASTER, utc(2026, 4, 5, 12), utc(2026, 4, 7, 12)),
    (
        "holiday-starts-at-midnight",
        SAO_PAULO_ALWAYS_GOOD_FRIDAY,
        utc(2026, 4, 2),
        utc(2026, 4, 3, 3),
    ),
    (
        "holiday-ends-at-midnight",
        SAO_PAULO_ALWAYS_GOOD_FRIDAY,
        utc(2026, 4, 3, 3),
        utc(2026, 4, 4, 3),
    ),
    ("adjacent-no-flip-at-noon", ADJACENT, utc(2026, 3, 2, 13), utc(2026, 3, 2, 21)),
    ("overnight-no-flip-at-midnight", OVERNIGHT, utc(2026, 3, 3, 2), utc(2026, 3, 3, 9)),
    ("end-2400-closes-at-midnight", LATE_FRIDAY, utc(2026, 3, 7, 0), utc(2026, 3, 7, 3)),
    ("ny-spring-opens-0100-est", NY_SUN_01_03, utc(2026, 3, 8, 5), utc(2026, 3, 8, 6)),
    ("ny-spring-closes-at-jump", NY_SUN_01_03, utc(2026, 3, 8, 6), utc(2026, 3, 8, 7)),
    ("ny-spring-gap-start-opens-at-jump", NY_SUN_0230_0400, utc(2026, 3, 8, 5), utc(2026, 3, 8, 7)),
    ("ny-spring-gap-start-then-closes", NY_SUN_0230_0400, utc(2026, 3, 8, 7), utc(2026, 3, 8, 8)),
    ("ny-spring-gap-interval-skipped", NY_SUN_0200_0230, utc(2026, 3, 8, 5), utc(2026, 3, 15, 6)),
    ("ny-fall-opens-0100-edt", NY_SUN_01_03, utc(2026, 11, 1, 4), utc(2026, 11, 1, 5)),
    ("ny-fall-open-three-hours", NY_SUN_01_03, utc(2026, 11, 1, 5), utc(2026, 11, 1, 8)),
    ("ny-fall-0130-edt-opens", NY_SUN_0130_0200, utc(2026, 11, 1, 5), utc(2026, 11, 1, 5, 30)),
    (
        "ny-fall-closes-at-clock-back",
        NY_SUN_0130_0200,
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 1, 6),
    ),
    ("ny-fall-0130-est-reopens", NY_SUN_0130_0200, utc(2026, 11, 1, 6), utc(2026, 11, 1, 6, 30)),
    ("ny-fall-0200-est-closes", NY_SUN_0130_0200, utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 7)),
    (
        "ny-fall-reopens-at-clock-back",
        NY_SUN_0100_0130,
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 1, 6),
    ),
    (
        "long-holiday-beyond-400-days",
        Hours(
            "America/Sao_Paulo",
            weekdays("09:00", "18:00"),
            (Holiday("Sabbatical", date(2026, 1, 1), date(2027, 12, 31)),),
        ),
        utc(2026, 1, 5, 12),
        utc(2028, 1, 3, 12),
    ),
]


@pytest.mark.parametrize(
    ("hours", "instant", "expected"),
    [case[1:] for case in NEXT_CHANGE_CASES],
    ids=[case[0] for case in NEXT_CHANGE_CASES],
)
def test_next_change(hours: Hours, instant: datetime, expected: datetime) -> None:
    result = next_change(hours, instant)
    assert result == expected
    assert result is not None and result.tzinfo is UTC
    assert is_open(hours, result) is not is_open(hours, instant)
    assert is_open(hours, result - timedelta(microseconds=1)) is is_open(hours, instant)


NEVER_CHANGES = [
    ("no-intervals", Hours("Europe/Lisbon", ())),
    ("no-intervals-with-holiday", Hours("Europe/Lisbon", (), (EASTER,))),
    ("always-open-utc", Hours("UTC", ALWAYS)),
    ("always-open-through-dst", Hours("America/New_York", ALWAYS)),
    ("always-open-past-holiday", Hours("America/Sao_Paulo", ALWAYS, (EASTER,))),
]


@pytest.mark.parametrize("hours", [c[1] for c in NEVER_CHANGES], ids=[c[0] for c in NEVER_CHANGES])
def test_next_change_none_when_nothing_flips(hours: Hours) -> None:
    assert next_change(hours, utc(2026, 6, 1, 12)) is None


OFFSETS = [
    ("utc", UTC),
    ("plus-0530", timezone(timedelta(hours=5, minutes=30))),
    ("minus-0800", timezone(timedelta(hours=-8))),
    ("tokyo", ZoneInfo("Asia/Tokyo")),
    ("new-york", ZoneInfo("America/New_York")),
]
SAME_INSTANT_CASES = [
    ("sao-paulo-open", SAO_PAULO, utc(2026, 3, 2, 12)),
    ("sao-paulo-closed", SAO_PAULO, utc(2026, 3, 6, 21)),
    ("lisbon-summer", LISBON, utc(2026, 7, 15, 7, 59)),
    ("ny-fall-overlap", NY_SUN_0130_0200, utc(2026, 11, 1, 6, 15)),
]


@pytest.mark.parametrize("tz", [o[1] for o in OFFSETS], ids=[o[0] for o in OFFSETS])
@pytest.mark.parametrize(
    ("hours", "instant"),
    [c[1:] for c in SAME_INSTANT_CASES],
    ids=[c[0] for c in SAME_INSTANT_CASES],
)
def test_any_offset_of_same_instant_agrees(hours: Hours, instant: datetime, tz: tzinfo) -> None:
    shifted = instant.astimezone(tz)
    assert is_open(hours, shifted) is is_open(hours, instant)
    assert next_change(hours, shifted) == next_change(hours, instant)


@pytest.mark.parametrize("function", [is_open, next_change], ids=["is_open", "next_change"])
def test_naive_instant_raises(function: Callable[[Hours, datetime], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        function(SAO_PAULO, datetime(2026, 3, 2, 12))


VALIDATE_CASES = [
    ("fine", weekdays("09:00", "18:00"), []),
    ("adjacent-fine", ADJACENT.intervals, []),
    ("overnight-fine", OVERNIGHT.intervals, []),
    ("same-hours-other-days-fine", (iv(MON, "09:00", "12:00"), iv(TUE, "09:00", "12:00")), []),
    ("empty-fine", (), []),
    (
        "not-15-minute-step",
        (Interval(MON, 545, 600),),
        ["Monday 09:05-10:00: start and end must be on a 15-minute step"],
    ),
    (
        "empty-interval",
        (iv(MON, "10:00", "10:00"),),
        ["Monday 10:00-10:00: start must be before end"],
    ),
    ("reversed", (iv(TUE, "12:00", "09:00"),), ["Tuesday 12:00-09:00: start must be before end"]),
    ("end-after-2400", (Interval(SUN, 1380, 1455),), ["Sunday 23:00-24:15: end is after 24:00"]),
    (
        "start-before-0000",
        (Interval(SUN, -15, 60),),
        ["Sunday -00:15-01:00: start is before 00:00"],
    ),
    (
        "weekday-out-of-range",
        (Interval(7, 540, 600),),
        ["weekday 7 09:00-10:00: weekday must be 0 (Monday) to 6 (Sunday)"],
    ),
    (
        "overlap",
        (iv(WED, "09:00", "12:00"), iv(WED, "11:00", "13:00")),
        ["Wednesday 11:00-13:00: overlaps 09:00-12:00"],
    ),
    (
        "duplicate",
        (iv(THU, "09:00", "12:00"), iv(THU, "09:00", "12:00")),
        ["Thursday 09:00-12:00: overlaps 09:00-12:00"],
    ),
    (
        "nested-in-long-interval",
        (iv(FRI, "09:00", "18:00"), iv(FRI, "10:00", "11:00"), iv(FRI, "12:00", "13:00")),
        ["Friday 10:00-11:00: overlaps 09:00-18:00", "Friday 12:00-13:00: overlaps 09:00-18:00"],
    ),
    (
        "several-problems",
        (Interval(8, 10, 5), iv(SAT, "08:00", "24:00"), iv(SAT, "23:45", "24:00")),
        [
            "weekday 8 00:10-00:05: weekday must be 0 (Monday) to 6 (Sunday)",
            "weekday 8 00:10-00:05: start and end must be on a 15-minute step",
            "weekday 8 00:10-00:05: start must be before end",
            "Saturday 23:45-24:00: overlaps 08:00-24:00",
        ],
    ),
]


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [c[1:] for c in VALIDATE_CASES],
    ids=[c[0] for c in VALIDATE_CASES],
)
def test_validate_intervals(intervals: tuple[Interval, ...], expected: list[str]) -> None:
    assert validate_intervals(intervals) == expected


# Every zone here has offsets and transitions on a 15-minute UTC grid, so with 15-minute
# interval boundaries is_open can only flip on that grid: checking each grid point is exhaustive.
# Each zone maps to its 2026 DST switches (UTC), which the property visits often.
ZONE_SWITCHES = {
    "UTC": [],
    "America/Sao_Paulo": [],
    "Asia/Kathmandu": [],  # +05:45
    "America/New_York": [utc(2026, 3, 8, 7), utc(2026, 11, 1, 6)],
    "Europe/Lisbon": [utc(2026, 3, 29, 1), utc(2026, 10, 25, 1)],
    "Australia/Lord_Howe": [utc(2026, 4, 4, 15), utc(2026, 10, 3, 15, 30)],  # 30-minute DST
    "Pacific/Chatham": [utc(2026, 4, 4, 14), utc(2026, 9, 26, 14)],  # +12:45 / +13:45
}
BASE_DAY = date(2026, 1, 1)

# Most DST switches happen between 00:00 and 04:00 local, so boundaries are drawn there often.
boundaries = st.one_of(st.integers(0, 96), st.integers(0, 16))
any_instant = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))


@st.composite
def schedules_and_instants(draw: st.DrawFn) -> tuple[Hours, datetime]:
    intervals = []
    for weekday in range(7):
        points = sorted(draw(st.lists(boundaries, unique=True, max_size=6)))
        for start, end in zip(points[::2], points[1::2], strict=False):
            split = draw(st.integers(start, end))
            # An optional split point produces adjacent intervals.
            for a, b in ((start, split), (split, end)) if start < split < end else ((start, end),):
                intervals.append(Interval(weekday, a * 15, b * 15))
    holidays = []
    for _ in range(draw(st.integers(0, 2))):
        first = BASE_DAY + timedelta(days=draw(st.integers(0, 700)))
        last = first + timedelta(days=draw(st.integers(0, 4)))
        holidays.append(Holiday("h", first, last))
    zone = draw(st.sampled_from(sorted(ZONE_SWITCHES)))
    switches = ZONE_SWITCHES[zone]
    if switches and draw(st.booleans()):
        # Up to three days before a switch, so the one-week walk below crosses it.
        before = draw(st.integers(0, 3 * 1440 * 60))
        instant = draw(st.sampled_from(switches)) - timedelta(seconds=before)
    else:
        instant = draw(any_instant)
    return Hours(zone, tuple(intervals), tuple(holidays)), instant


@settings(max_examples=200, deadline=None, database=None)
@given(case=schedules_and_instants())
def test_is_open_constant_until_next_change(case: tuple[Hours, datetime]) -> None:
    """Follow next_change for a week; between flips every 15-minute grid point agrees."""
    hours, instant = case
    assert validate_intervals(hours.intervals) == []
    window_end = instant + timedelta(days=7)
    state = is_open(hours, instant)
    while True:
        change = next_change(hours, instant)
        stop = window_end if change is None else min(change, window_end)
        point = instant.replace(minute=instant.minute // 15 * 15, second=0, microsecond=0)
        point += timedelta(minutes=15)
        while point < stop:
            assert is_open(hours, point) is state, point
            point += timedelta(minutes=15)
        if change is None or change >= window_end:
            return
        assert change > instant
        assert change.tzinfo is UTC
        assert is_open(hours, change) is not state
        assert is_open(hours, change - timedelta(microseconds=1)) is state
        instant, state = change, not state
