"""The admin shell: home page, and the router every admin page hangs from."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select

from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.deps import DB, PageAdmin, check_csrf, page_admin
from overture.schedules.models import Schedule
from overture.web.templating import render

router = APIRouter(
    prefix="/admin", include_in_schema=False,
    dependencies=[Depends(check_csrf), Depends(page_admin)],
)


@router.get("")
def home(request: Request, db: DB, user: PageAdmin):
    counts = {
        "brands": db.scalar(select(func.count(Brand.id))),
        "channels": db.scalar(select(func.count(Channel.id))),
        "schedules": db.scalar(select(func.count(Schedule.id))),
    }
    return render(request, "admin/home.html", counts=counts)
