"""What supervisors see, computed from the rows: per kecamatan, kelurahan and outreach
point, and the campaign's progress day by day. Counts and tracking codes only."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from pydantic import BaseModel

from services.dashboard.campaign import Campaign
from services.dashboard.model import RequestRow
from shared.domain.applicant import Status
from shared.domain.calendar import local_date
from shared.domain.regions import RegionTable
from shared.domain.requests import Language, RequestKind
from shared.rulesets import load_reason_texts, newest_rule_set_id


class ReasonCount(BaseModel):
    code: str
    count: int
    # What it means, by language ("id", "en"): the first sentence of the rule set's own
    # text (of the latest decision that gave it), the applicant's details said in general.
    message: dict[str, str]


def reason_counts(rows: list[RequestRow], top: int = 3) -> list[ReasonCount]:
    counts = Counter(code for r in rows for code in r.reasons)
    return [
        ReasonCount(code=c, count=n, message=_said(c, rows)) for c, n in counts.most_common(top)
    ]


def _said(code: str, rows: list[RequestRow]) -> dict[str, str]:
    giving = [r for r in rows if code in r.reasons]
    latest = max(giving, key=lambda r: r.decided_at or r.submitted_at)
    texts = load_reason_texts(latest.rule_set_id or newest_rule_set_id())
    kinds = {r.kind for r in giving}
    kind = RequestKind(kinds.pop()) if len(kinds) == 1 else None
    return {lang.value: texts.headline(code, lang, kind) for lang in Language}


class Group(BaseModel):
    """One line of a table: a kecamatan, a kelurahan or an outreach point."""

    key: str
    kecamatan: str
    kecamatan_name: str
    kelurahan: str = ""
    point_kind: str = ""
    point_name: str = ""
    total: int
    today: int
    by_kind: dict[str, int]
    by_status: dict[str, int]
    today_by_status: dict[str, int]
    approved_rate: float | None  # of the decided: verified / (verified + rejected)
    rejected_rate: float | None
    top_reasons: list[ReasonCount]
    review_backlog: int
    oldest_review: str | None  # its tracking code
    oldest_review_since: datetime | None
    median_minutes_to_decision: float | None
    median_minutes_to_notification: float | None
    failed_notifications: int
    target: int | None = None  # kecamatan only: the campaign's
    progress: float | None = None


class Day(BaseModel):
    day: date
    taken: int
    cumulative: int


class CampaignView(BaseModel):
    name: str
    kinds: list[str]
    start: date
    deadline: date
    today: date
    days_left: int
    target: int
    taken: int
    progress: float
    days: list[Day]


class Summary(BaseModel):
    since: date
    until: date
    kind: str | None
    campaign: CampaignView
    totals: Group
    kecamatan: list[Group]
    kelurahan: list[Group]
    points: list[Group]


def _minutes(pairs: Iterable[tuple[datetime, datetime | None]]) -> float | None:
    spans = [(end - start).total_seconds() / 60 for start, end in pairs if end is not None]
    return round(statistics.median(spans), 1) if spans else None


def group(key: str, rows: list[RequestRow], today: date, regions: RegionTable) -> Group:
    first = rows[0]
    statuses = Counter(r.status.value for r in rows)
    decided = statuses[Status.VERIFIED] + statuses[Status.REJECTED]
    reviews = sorted(
        (r for r in rows if r.status is Status.MANUAL_REVIEW and r.review_since),
        key=lambda r: r.review_since or r.submitted_at,
    )
    kecamatan = regions.kecamatan(first.kecamatan)
    return Group(
        key=key,
        kecamatan=first.kecamatan,
        kecamatan_name=kecamatan.name if kecamatan else first.kecamatan,
        total=len(rows),
        today=sum(local_date(r.submitted_at) == today for r in rows),
        by_kind=dict(Counter(r.kind for r in rows)),
        by_status=dict(statuses),
        today_by_status=dict(
            Counter(r.status.value for r in rows if local_date(r.submitted_at) == today)
        ),
        approved_rate=round(statuses[Status.VERIFIED] / decided, 3) if decided else None,
        rejected_rate=round(statuses[Status.REJECTED] / decided, 3) if decided else None,
        top_reasons=reason_counts(rows),
        review_backlog=len(reviews),
        oldest_review=reviews[0].tracking_code if reviews else None,
        oldest_review_since=reviews[0].review_since if reviews else None,
        median_minutes_to_decision=_minutes((r.submitted_at, r.decided_at) for r in rows),
        median_minutes_to_notification=_minutes((r.submitted_at, r.notified_at) for r in rows),
        failed_notifications=sum(r.failed_notifications for r in rows),
    )


def line_key(parts: tuple[str, ...]) -> str:
    """A line's key: a kecamatan code, or its place's parts as a JSON array. Joined with
    '/', a kelurahan named "A/school" made two outreach points one and relabelled them."""
    return parts[0] if len(parts) == 1 else json.dumps(parts, ensure_ascii=False)


def groups(
    rows: list[RequestRow],
    fields: tuple[str, ...],
    today: date,
    regions: RegionTable,
) -> list[Group]:
    """A line per place: per distinct value of the rows' `fields` (the first the kecamatan;
    the others set on the line, as Group names them too)."""
    grouped: dict[tuple[str, ...], list[RequestRow]] = {}
    for row in rows:
        grouped.setdefault(tuple(str(getattr(row, f)) for f in fields), []).append(row)
    lines = []
    for parts in sorted(grouped):
        line = group(line_key(parts), grouped[parts], today, regions)
        for name, value in zip(fields[1:], parts[1:], strict=True):
            setattr(line, name, value)
        lines.append(line)
    return lines


def campaign_view(campaign: Campaign, rows: list[RequestRow], today: date) -> CampaignView:
    kinds = {k.value for k in campaign.kinds}
    per_day = Counter(
        local_date(r.submitted_at)
        for r in rows
        if r.kind in kinds and campaign.start <= local_date(r.submitted_at) <= campaign.deadline
    )
    days, total, day = [], 0, campaign.start
    while day <= min(today, campaign.deadline):
        total += per_day[day]
        days.append(Day(day=day, taken=per_day[day], cumulative=total))
        day += timedelta(days=1)
    return CampaignView(
        name=campaign.name,
        kinds=sorted(kinds),
        start=campaign.start,
        deadline=campaign.deadline,
        today=today,
        days_left=max((campaign.deadline - today).days, 0),
        target=campaign.target,
        taken=total,
        progress=round(total / campaign.target, 3) if campaign.target else 0.0,
        days=days,
    )


def summarize(
    rows: list[RequestRow],
    campaign: Campaign,
    regions: RegionTable,
    today: date,
    since: date,
    until: date,
    kind: str | None,
) -> Summary:
    """`rows` cover the campaign and the filter's dates; the tables show the filter's."""
    chosen = [
        r for r in rows if since <= local_date(r.submitted_at) <= until and kind in (None, r.kind)
    ]
    kecamatan = groups(chosen, ("kecamatan",), today, regions)
    for line in kecamatan:
        line.target = campaign.targets.get(line.kecamatan)
        if line.target:
            line.progress = round(line.total / line.target, 3)
    place = ("kecamatan", "kelurahan", "point_kind", "point_name")
    points = groups(chosen, place, today, regions)
    kelurahan = groups(chosen, ("kecamatan", "kelurahan"), today, regions)
    totals = group("all", chosen, today, regions) if chosen else Group.model_validate(EMPTY)
    return Summary(
        since=since,
        until=until,
        kind=kind,
        campaign=campaign_view(campaign, [r for r in rows if kind in (None, r.kind)], today),
        totals=totals,
        kecamatan=kecamatan,
        kelurahan=kelurahan,
        points=points,
    )


EMPTY = {
    "key": "all",
    "kecamatan": "",
    "kecamatan_name": "",
    "total": 0,
    "today": 0,
    "by_kind": {},
    "by_status": {},
    "today_by_status": {},
    "approved_rate": None,
    "rejected_rate": None,
    "top_reasons": [],
    "review_backlog": 0,
    "oldest_review": None,
    "oldest_review_since": None,
    "median_minutes_to_decision": None,
    "median_minutes_to_notification": None,
    "failed_notifications": 0,
}
