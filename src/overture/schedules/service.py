from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from overture.accounts.models import User
from overture.accounts.service import require_role
from overture.db import load, remove
from overture.i18n import gettext as _
from overture.kit.signals import schedule_changed, schedule_deleted
from overture.schedules.models import Schedule
from overture.schedules.schemas import ScheduleIn, SchedulePatch


def access_schedule(db: Session, user: User, schedule_id: int) -> Schedule:
    """The one way to load a schedule by id: schedules are configuration, for admins only."""
    require_role(user, "admin")
    return load(db, Schedule, schedule_id, _("schedule %(id)s not found") % {"id": schedule_id})


def list_schedules(db: Session, user: User) -> list[Schedule]:
    require_role(user, "admin")
    return list(db.scalars(select(Schedule).order_by(Schedule.name, Schedule.id)))


def _dump(data: ScheduleIn | SchedulePatch, exclude_unset: bool) -> dict:
    out = data.model_dump(mode="json", exclude_unset=exclude_unset)
    if "intervals" in out and out["intervals"] is not None:
        out["intervals"] = sorted(out["intervals"], key=lambda i: (i["weekday"], i["start"]))
    return {k: v for k, v in out.items() if v is not None}


def create_schedule(db: Session, data: ScheduleIn) -> Schedule:
    schedule = Schedule(**_dump(data, exclude_unset=False))
    db.add(schedule)
    db.flush()
    return schedule


def update_schedule(db: Session, schedule: Schedule, data: SchedulePatch) -> Schedule:
    for field, value in _dump(data, exclude_unset=True).items():
        setattr(schedule, field, value)
    db.flush()
    schedule_changed.send(db, schedule)
    return schedule


def delete_schedule(db: Session, schedule: Schedule) -> None:
    schedule_deleted.send(db, remove(db, schedule))
