"""The metrics the alerts watch (deploy/prometheus/alerts.yml), on the real stack: one
submission is measured from stored to decided and to emailed, the relay reports the
outbox's age and each consumer group's lag on the test's topic, down to nothing once
the request went through, and every service reports its store breaker closed."""

from __future__ import annotations

import time

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.recorder import Document
from tests.e2e.pipeline import pipeline
from tests.factories import form
from tests.waiting import eventually

EMAIL = "siti@example.id"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def lags(topic: str) -> dict[str, float]:
    return {
        s.labels["group"]: s.value
        for m in REGISTRY.collect()
        if m.name == "jemput_consumer_lag"
        for s in m.samples
        if s.labels["topic"] == topic
    }


async def test_a_submission_is_measured_to_its_decision_and_its_email(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEMPUT_LAG_SECONDS", "0.2")  # the relay's exporter, looking often
    decided = sample("jemput_submit_to_decided_seconds_count", decision="RequestVerified")
    emailed = sample("jemput_submit_to_notified_seconds_count", channel="email")
    async with pipeline(mongo_db.name) as jb:
        topic = jb.settings.events_topic
        response = await jb.intake.post("/v1/requests", json=form(), headers=jb.as_("officer-1"))
        assert response.status_code == 201, response.text
        await eventually(lambda: len(jb.mailbox.to(EMAIL)) == 1, what="the email")
        await eventually(
            lambda: (
                sample("jemput_submit_to_notified_seconds_count", channel="email") == emailed + 1
            ),
            what="the submit-to-notified observation",
        )
        assert (
            sample("jemput_submit_to_decided_seconds_count", decision="RequestVerified")
            == decided + 1
        )
        took = sample("jemput_submit_to_notified_seconds_sum", channel="email")
        assert took > 0

        # Measured after the email (the topic holds the request's events by then): every
        # consumer of the topic committed what it read, no lag left.
        emailed_at = time.time()
        groups = (jb.settings.group("verification"), jb.settings.group("notification"))
        await eventually(
            lambda: (
                sample("jemput_consumer_lag_timestamp_seconds") > emailed_at + 0.5
                and [lags(topic).get(g) for g in groups] == [0, 0]
            ),
            what="lag measured at 0 for both groups after the email",
        )
        assert sample("jemput_outbox_oldest_age_seconds") < 60

        metrics = await jb.intake.get("/metrics")
        families = {f.name for f in text_string_to_metric_families(metrics.text)}
        assert {"jemput_store_breaker_open", "jemput_consumer_lag"} <= families
        assert sample("jemput_store_breaker_open", service="intake") == 0
