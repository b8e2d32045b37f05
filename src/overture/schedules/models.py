from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from overture.db import Base, UTCDateTime
from overture.kit.clock import utcnow
from overture.schedules.hours import Holiday, Hours, Interval


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    # [{"weekday": 0-6, "start": "09:00", "end": "17:30"}]
    intervals: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # [{"name": "...", "first_day": "2026-12-24", "last_day": "2026-12-26"}]
    holidays: Mapped[list[dict]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def hours(self) -> Hours:
        return hours_from(self.timezone, self.intervals, self.holidays)


def hours_from(timezone: str, intervals: list[dict], holidays: list[dict]) -> Hours:
    return Hours(
        tz=timezone,
        intervals=tuple(
            Interval(i["weekday"], to_minutes(i["start"]), to_minutes(i["end"]))
            for i in intervals or ()
        ),
        holidays=tuple(
            Holiday(h["name"], date.fromisoformat(h["first_day"]),
                    date.fromisoformat(h["last_day"]))
            for h in holidays or ()
        ),
    )


def to_minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)
