"""Every table of the dashboard as CSV: the same lines the page shows, one per row."""

from __future__ import annotations

import csv
import io
from typing import Any

from services.dashboard.views import Group, Summary
from shared.domain.applicant import Status
from shared.domain.requests import RequestKind
from shared.formats.csv_cells import (
    inert,
)  # an officer typed the names: a spreadsheet must not run them

PLACE = {
    "kecamatan": ["kecamatan", "kecamatan_name"],
    "kelurahan": ["kecamatan", "kecamatan_name", "kelurahan"],
    "points": ["kecamatan", "kecamatan_name", "kelurahan", "point_kind", "point_name"],
}


def _line(group: Group, place: list[str]) -> dict[str, Any]:
    line: dict[str, Any] = {name: getattr(group, name) for name in place}
    line |= {"total": group.total, "today": group.today}
    line |= {f"kind_{k.value}": group.by_kind.get(k.value, 0) for k in RequestKind}
    line |= {f"status_{s.value}": group.by_status.get(s.value, 0) for s in Status}
    line |= {
        "approved_rate": group.approved_rate,
        "rejected_rate": group.rejected_rate,
        "top_reasons": "; ".join(f"{r.code}:{r.count}" for r in group.top_reasons),
        "review_backlog": group.review_backlog,
        "oldest_review": group.oldest_review,
        "oldest_review_since": group.oldest_review_since,
        "median_minutes_to_decision": group.median_minutes_to_decision,
        "median_minutes_to_notification": group.median_minutes_to_notification,
        "failed_notifications": group.failed_notifications,
    }
    if place == PLACE["kecamatan"]:
        line |= {"target": group.target, "progress": group.progress}
    return line


def to_csv(summary: Summary, table: str) -> str:
    if table == "days":
        lines = [d.model_dump(mode="json") for d in summary.campaign.days]
        header = ["day", "taken", "cumulative"]
    else:
        place = PLACE[table]
        groups: list[Group] = getattr(summary, table)
        lines = [_line(g, place) for g in groups]
        header = list(_line(Group.model_validate(summary.totals), place)) if not lines else []
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or list(lines[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows([{k: inert(v) for k, v in line.items()} for line in lines])
    return out.getvalue()
