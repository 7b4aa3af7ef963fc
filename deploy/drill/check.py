"""The checker: the client's history against the store, the topics and the receivers.

Violations (any one makes the drill exit non-zero):
- an accepted request with no terminal state (verified, rejected, documents requested,
  manual review) by `--catch-up-limit` after the last fault ("lost");
- a request stored more than once, an event id twice, a gap or repeat in a stream's
  versions ("duplicated");
- the store does not verify, or no longer gives the digest taken before the faults;
- an email more than once for a tracking code, or none where the store has no unknown
  outcome (an email whose outcome a crash left unknown is never resent, by design:
  handlers.py; those are counted apart, "unknown");
- an SMS sent twice under one key that the gateway did not drop (by key: it drops repeats);
- anything on a dead-letter topic but what the poison fault sent, with the reasons it
  must be given (poison.EXPECTED_REASONS); without that fault, anything at all;
- an answer 500 (or any 5xx but 503) from intake.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import SecretStr
from pymongo import AsyncMongoClient

from deploy.bench.pipeline.mailbox import Mailbox
from deploy.benchkit.percentiles import percentile
from deploy.benchkit.reports import text_or_empty
from services.audit.settings import AuditSettings
from services.audit.wiring import audit_service
from shared.domain.request_ids import as_sent
from shared.eventstore.digest import Checkpoint

from .history import History, answer
from .poison import EXPECTED_REASONS, everything_on
from .stack import OwnStack

TERMINAL = ("RequestVerified", "RequestRejected", "DocumentsRequested", "ManualReviewRequired")


@dataclass
class FaultWindow:
    fault: str
    start: float
    in_flight: int
    end: float = 0.0
    caught_up: float | None = None  # fault end + settle → every accepted request emailed


class Pace(Protocol):
    @property
    def rate(self) -> float: ...
    @property
    def catch_up_limit(self) -> float: ...


class Observed(Protocol):
    """What the checker reads of a drill (run.py's Drill): where its store and topics
    are, what the client sent, what the receivers got, when each fault ran."""

    @property
    def o(self) -> Pace: ...
    @property
    def run_id(self) -> str: ...
    @property
    def db(self) -> str: ...
    @property
    def chain_key(self) -> str: ...
    @property
    def kafka(self) -> str: ...
    @property
    def stack(self) -> OwnStack: ...
    @property
    def history(self) -> History: ...
    @property
    def mailbox(self) -> Mailbox: ...
    @property
    def sms_file(self) -> Path: ...
    @property
    def windows(self) -> list[FaultWindow]: ...
    @property
    def poison_sent(self) -> dict[str, int]: ...
    def dead_letter_topics(self) -> list[str]: ...


@dataclass
class Checker:
    drill: Observed
    checkpoint: Checkpoint | None = None
    violations: list[str] = field(default_factory=list)

    def settings(self) -> AuditSettings:
        d = self.drill
        return AuditSettings(
            mongo_url=d.stack.mongo_url,
            mongo_db=d.db,
            chain_key_id=f"drill-{d.run_id}",
            chain_key=SecretStr(d.chain_key),
        )

    async def take_digest(self, as_of: datetime) -> None:
        settings = self.settings()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            settings.mongo_url, tz_aware=True
        )
        try:
            self.checkpoint = await (await audit_service(settings, client)).digest(as_of)
        finally:
            await client.close()

    async def check(self) -> dict[str, Any]:
        d = self.drill
        settings = self.settings()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            settings.mongo_url, tz_aware=True
        )
        try:
            events = client[d.db]["events"]
            await self._wait_terminal(events)
            store = await self._store(events)
            audit = await audit_service(settings, client)
            report = await audit.verify()
            if not report.ok:
                self.violations.append(f"the store does not verify: {len(report.breaks)} breaks")
            digest_ok = False
            if self.checkpoint is not None:
                digest_ok, _ = await audit.check_digest(self.checkpoint)
            if not digest_ok:
                self.violations.append("the digest taken before the faults no longer checks")
        finally:
            await client.close()
        dead = await self._dead_letters()
        for topic, reasons in dead.items():
            component = topic.split(".")[-2]
            allowed = EXPECTED_REASONS[component] if d.poison_sent else set()
            unexpected = sum(n for reason, n in reasons.items() if reason not in allowed)
            if unexpected:
                self.violations.append(
                    f"{unexpected} unexpected message(s) on dead-letter topic {topic}: {reasons}"
                )
        mail = self._mail(store)
        sms = self._sms()
        answers = Counter(answer(s) for s in d.history.sent)
        if answers["server_error"]:
            self.violations.append(f"intake answered 5xx (not 503) {answers['server_error']} times")
        return {
            "answers": dict(answers),
            "store": {k: v for k, v in store.items() if not k.startswith("_")},
            "verify": {
                "ok": report.ok,
                "events": report.events_checked,
                "streams": report.streams_checked,
            },
            "digest_still_checks": digest_ok,
            "dead_letters": dead,
            "poison_sent": d.poison_sent,
            "email": mail,
            "sms": sms,
            "faults": [self._row(w, store) for w in d.windows],
            "violations": self.violations,
        }

    async def _wait_terminal(self, events: Any) -> None:
        import asyncio
        import time

        limit = time.time() + self.drill.o.catch_up_limit
        want = set(self.drill.history.accepted_codes())
        while time.time() < limit:
            done = await events.distinct(
                "payload.request_id", {"event_type": {"$in": list(TERMINAL)}}
            )
            if want <= {as_sent(r) for r in done}:  # stored scoped by the drill's key
                return
            await asyncio.sleep(1.0)

    async def _store(self, events: Any) -> dict[str, Any]:
        submitted: Counter[str] = Counter()
        terminal: set[str] = set()
        ids: Counter[str] = Counter()
        versions: dict[str, list[int]] = {}
        unknown: set[str] = set()
        async for e in events.find(
            {}, {"event_id": 1, "event_type": 1, "stream_id": 1, "version": 1, "payload": 1}
        ):
            ids[e["event_id"]] += 1
            versions.setdefault(e["stream_id"], []).append(e["version"])
            kind, rid = e["event_type"], as_sent(e["payload"].get("request_id") or "")
            if kind == "RequestSubmitted":
                submitted[rid] += 1
            elif kind in TERMINAL:
                terminal.add(rid)
            elif kind == "NotificationFailed" and e["payload"].get("error") == "outcome_unknown":
                unknown.add(e["payload"]["notification_id"])
        accepted = self.drill.history.accepted_codes()
        sent_ids = {s.request_id for s in self.drill.history.sent}
        lost = sorted(r for r in accepted if submitted[r] == 0 or r not in terminal)
        twice = sorted(r for r, n in submitted.items() if n > 1)
        never_taken = sorted(r for r in sent_ids if r not in accepted)
        dup_ids = [i for i, n in ids.items() if n > 1]
        gaps = [s for s, v in versions.items() if sorted(v) != list(range(1, len(v) + 1))]
        found_by_kind = {
            "lost (accepted, never decided)": lost,
            "stored twice": twice,
            "never accepted, even when resent": never_taken,
            "event ids twice": dup_ids,
            "streams with version gaps": gaps,
        }
        for what, found in found_by_kind.items():
            if found:
                self.violations.append(f"{len(found)} {what}: first {found[:3]}")
        return {
            "requests_sent": len(sent_ids), "accepted": len(accepted), "lost": len(lost),
            "stored_twice": len(twice), "event_ids_twice": len(dup_ids), "version_gaps": len(gaps),
            "events": sum(ids.values()), "email_outcome_unknown": len(unknown),
            "_lost": set(lost), "_twice": set(twice), "_unknown": len(unknown),
        }  # fmt: skip

    def _mail(self, store: dict[str, Any]) -> dict[str, int]:
        box = self.drill.mailbox
        box.poll()
        codes = self.drill.history.accepted_codes()
        missing = [c for c in codes.values() if c not in box.by_code]
        if box.repeats:
            self.violations.append(f"{box.repeats} tracking code(s) emailed more than once")
        if len(missing) > store["_unknown"]:
            self.violations.append(
                f"{len(missing)} request(s) never emailed, {store['_unknown']} of them explained "
                "by an outcome a crash left unknown"
            )
        return {"received": box.received, "repeats": box.repeats, "missing": len(missing)}

    def _sms(self) -> dict[str, int]:
        arrivals = text_or_empty(self.drill.sms_file).splitlines()
        lines = [p for line in arrivals if len(p := line.split()) == 3]
        keys = Counter(p[1] for p in lines)
        return {
            "keys": len(keys),
            "requests": len(lines),
            "repeats_dropped": sum(p[2] == "repeat" for p in lines),
        }

    async def _dead_letters(self) -> dict[str, dict[str, int]]:
        """Each dead-letter topic's entries, counted by reason."""
        found: dict[str, dict[str, int]] = {}
        for topic in self.drill.dead_letter_topics():
            entries = await everything_on(self.drill.kafka, topic)
            found[topic] = dict(Counter(str(e.get("reason")) for e in entries))
        return found

    def _row(self, w: FaultWindow, store: dict[str, Any]) -> dict[str, Any]:
        sent = [s for s in self.drill.history.sent if w.start <= s.scheduled < w.end]
        accepted = [s for s in sent if s.accepted]
        per_second: dict[int, list[float]] = {}
        for s in sent:
            if s.latency is not None:
                per_second.setdefault(int(s.scheduled), []).append(s.latency)
        p99s = [p for v in per_second.values() if (p := percentile(v, 99)) is not None]
        return {
            "fault": w.fault,
            "seconds": round(w.end - w.start, 1),
            "in_flight": w.in_flight,
            "sent": len(sent),
            "accepted": len(accepted),
            "refused": sum(answer(s) == "refused" for s in sent),
            "errors_or_timeouts": sum(answer(s) in ("error", "timeout") for s in sent),
            "lost": sum(s.request_id in store["_lost"] for s in sent),
            "duplicated": sum(s.request_id in store["_twice"] for s in sent),
            "recovery_s": self._recovery(w),
            "caught_up_s": None if w.caught_up is None else round(w.caught_up, 1),
            "max_p99_ms": round(max(p99s) * 1000) if p99s else None,
        }

    def _recovery(self, w: FaultWindow) -> float | None:
        """From the fault's end until accepted answers per second are back to 90% of the
        steady rate (a 3-second moving mean, by the second the answer came)."""
        rate = self.drill.o.rate
        done = Counter(int(s.done) for s in self.drill.history.sent if s.accepted and s.done)
        t = int(w.end)
        for second in range(t, t + 300):
            if statistics.mean(done.get(second + k, 0) for k in range(3)) >= 0.9 * rate:
                return max(0.0, round(second - w.end, 1))
        return None
