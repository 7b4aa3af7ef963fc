"""An applicant's history exported with its chain hashes, and checked again offline."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from shared.event_schema import RecordedEvent
from shared.eventstore.chain import HASHED_FIELDS, ChainBreak, ChainKeys
from shared.eventstore.walk import walk_streams
from shared.formats.csv_cells import inert, restore

CSV_FIELDS = (*HASHED_FIELDS, "hash")  # every field the chain needs to be checked again
# Cells a spreadsheet would run (a request id, a payload's text) are made inert, and read
# back exactly, so that the export still verifies (shared/formats/csv_cells.py).


def to_jsonl(records: Iterable[RecordedEvent]) -> str:
    return "".join(r.model_dump_json() + "\n" for r in records)


def to_csv(records: Iterable[RecordedEvent]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for record in records:
        row = record.model_dump(mode="json")
        row["payload"] = json.dumps(row["payload"], sort_keys=True, ensure_ascii=False)
        writer.writerow({k: inert(row[k]) for k in CSV_FIELDS})
    return out.getvalue()


def _documents_from_csv(text: str) -> list[dict[str, Any]]:
    rows = []
    for cells in csv.DictReader(io.StringIO(text)):
        row = {k: restore(v) for k, v in cells.items()}
        rows.append(
            {
                **row,
                "payload": json.loads(row["payload"]),
                "version": int(row["version"]),
                "position": int(row["position"]),
                "schema_version": int(row["schema_version"]),
                "causation_id": row["causation_id"] or None,
                "correlation_id": row["correlation_id"] or None,
            }
        )
    return rows


def verify_export(text: str, keys: ChainKeys, fmt: str) -> tuple[int, list[ChainBreak]]:
    """(events checked, breaks) of an exported history, with nothing but the chain key."""
    raw = (
        _documents_from_csv(text)
        if fmt == "csv"
        else [json.loads(line) for line in text.splitlines() if line.strip()]
    )
    docs = [
        {
            **d,
            "occurred_at": datetime.fromisoformat(str(d["occurred_at"]).replace("Z", "+00:00")),
            "recorded_at": datetime.fromisoformat(str(d["recorded_at"]).replace("Z", "+00:00")),
        }
        for d in raw
    ]
    ordered = sorted(docs, key=lambda d: (str(d["stream_id"]), d["version"]))
    breaks = [w.broken for w in walk_streams(ordered, keys) if w.broken is not None]
    return len(docs), breaks
