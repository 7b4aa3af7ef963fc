"""The dashboard's data, for supervisors only: a summary for the page, every table as CSV.
The page itself (static files) holds no data and needs no key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from services.dashboard.campaign import Campaign
from services.dashboard.model import Rows
from services.dashboard.tables import to_csv
from services.dashboard.views import Summary, summarize
from shared.domain.calendar import WIB, local_date
from shared.domain.regions import RegionTable
from shared.domain.requests import RequestKind
from shared.web.api_errors import GUARDED, errors
from shared.web.http import Caller, Role, invalid_parameter, requires

router = APIRouter(prefix="/v1/dashboard", responses=errors(*GUARDED))
SupervisorRole = Annotated[Caller, Depends(requires(Role.SUPERVISOR))]
LONGEST_RANGE_DAYS = 366


@dataclass(frozen=True)
class DashboardDeps:
    rows: Rows
    campaign: Campaign
    regions: RegionTable


def deps(request: Request) -> DashboardDeps:
    found: DashboardDeps = request.app.state.dashboard
    return found


Deps = Annotated[DashboardDeps, Depends(deps)]
Since = Annotated[
    date | None,
    Query(description="First day (Jakarta time) of the tables; the campaign's start if none"),
]
Until = Annotated[date | None, Query(description="Last day of the tables; today if none")]
Kind = Annotated[RequestKind | None, Query(description="Only requests of this kind")]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), WIB)


async def _summary(
    d: DashboardDeps, since: date | None, until: date | None, kind: RequestKind | None
) -> Summary:
    today = local_date(datetime.now(WIB))
    since, until = since or d.campaign.start, until or today
    if since > until:
        raise invalid_parameter("since", "since is after until")
    if (until - since).days > LONGEST_RANGE_DAYS:
        raise invalid_parameter("until", f"at most {LONGEST_RANGE_DAYS} days after since")
    first = min(since, d.campaign.start)
    last = max(until, min(today, d.campaign.deadline))
    if (last - first).days > 2 * LONGEST_RANGE_DAYS:
        far = "since" if since < d.campaign.start else "until"  # the date that strays
        raise invalid_parameter(far, "too far from the campaign")
    rows = await d.rows.submitted_between(_midnight(first), _midnight(last + timedelta(days=1)))
    value = kind.value if kind else None
    return summarize(rows, d.campaign, d.regions, today, since, until, value)


@router.get("/summary", response_model=Summary)
async def summary(
    _: SupervisorRole, d: Deps, since: Since = None, until: Until = None, kind: Kind = None
) -> Summary:
    """The campaign's progress and every table, for the dates and kind chosen."""
    return await _summary(d, since, until, kind)


@router.get(
    "/tables/{table}.csv",
    response_class=Response,
    responses={200: {"description": "The table, one line per row", "content": {"text/csv": {}}}},
)
async def table_csv(
    table: Literal["kecamatan", "kelurahan", "points", "days"],
    _: SupervisorRole,
    d: Deps,
    since: Since = None,
    until: Until = None,
    kind: Kind = None,
) -> Response:
    text = to_csv(await _summary(d, since, until, kind), table)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="jemput-{table}.csv"'},
    )
