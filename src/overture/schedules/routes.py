from __future__ import annotations

from fastapi import APIRouter, Response

from overture.deps import DB, ApiAdmin
from overture.kit.clock import utcnow
from overture.kit.ids import IdPath
from overture.schedules import service
from overture.schedules.hours import is_open, next_change
from overture.schedules.schemas import ScheduleIn, ScheduleOut, SchedulePatch, ScheduleStatus

router = APIRouter(prefix="/api/v1/schedules", tags=["schedules"])


@router.get("", response_model=list[ScheduleOut])
def list_schedules(db: DB, user: ApiAdmin):
    return service.list_schedules(db, user)


@router.post("", response_model=ScheduleOut, status_code=201)
def create_schedule(data: ScheduleIn, db: DB, user: ApiAdmin):
    return service.create_schedule(db, data)


@router.get("/{schedule_id}", response_model=ScheduleOut)
def get_schedule(schedule_id: IdPath, db: DB, user: ApiAdmin):
    return service.access_schedule(db, user, schedule_id)


@router.get("/{schedule_id}/status", response_model=ScheduleStatus)
def schedule_status(schedule_id: IdPath, db: DB, user: ApiAdmin):
    """Whether the schedule is open now, and when that next changes."""
    hours = service.access_schedule(db, user, schedule_id).hours()
    now = utcnow()
    return ScheduleStatus(open=is_open(hours, now), next_change=next_change(hours, now))


@router.patch("/{schedule_id}", response_model=ScheduleOut)
def update_schedule(schedule_id: IdPath, data: SchedulePatch, db: DB, user: ApiAdmin):
    return service.update_schedule(db, service.access_schedule(db, user, schedule_id), data)


@router.delete("/{schedule_id}", status_code=204)
def delete_schedule(schedule_id: IdPath, db: DB, user: ApiAdmin):
    service.delete_schedule(db, service.access_schedule(db, user, schedule_id))
    return Response(status_code=204)
