"""One submission is one trace on the real stack: intake's HTTP span, then verification's
and notification's handling of the events it caused, joined by the W3C `traceparent`
header each Kafka message carries (shared/observability/tracing.py). The services run in
this process under the SDK with an in-memory exporter; what joins them is the header, not
memory: a consumer's span takes its parent only from the message it read."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import pytest
from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.recorder import Document
from tests.e2e.kafka_reader import _partitions
from tests.e2e.pipeline import Pipeline, pipeline
from tests.factories import form
from tests.waiting import eventually

EMAIL = "siti@example.id"


class _ToTheTestRunning(InMemorySpanExporter):
    """The process's one exporter (a tracer provider is set once per process): keeps spans
    only while a test here runs, so later tests' spans are not kept."""

    recording = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return super().export(spans) if self.recording else SpanExportResult.SUCCESS


@pytest.fixture(scope="session")
def _exporter() -> Iterator[_ToTheTestRunning]:
    exporter = _ToTheTestRunning()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # once per process: the services' tracer follows it
    yield exporter
    provider.shutdown()


@pytest.fixture
def spans(_exporter: _ToTheTestRunning) -> Iterator[InMemorySpanExporter]:
    _exporter.clear()
    _exporter.recording = True
    yield _exporter
    _exporter.recording = False
    _exporter.clear()


async def headers_on(bootstrap: str, topic: str) -> list[dict[str, str]]:
    partitions = await _partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        batches = await consumer.getmany(*partitions, timeout_ms=5000)
        return [{k: v.decode() for k, v in m.headers} for batch in batches.values() for m in batch]
    finally:
        await consumer.stop()


def handler(jb: Pipeline, service: str, event_type: str) -> str:
    """The name of `service`'s span for handling `event_type` (its group's name first)."""
    return f"{jb.settings.group(service)} handle {event_type}"


def named(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


async def test_one_submission_is_one_trace_across_kafka(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str, spans: InMemorySpanExporter
) -> None:
    async with pipeline(mongo_db.name) as jb:
        response = await jb.intake.post("/v1/requests", json=form(), headers=jb.as_("officer-1"))
        assert response.status_code == 201, response.text
        await eventually(lambda: len(jb.mailbox.to(EMAIL)) == 1, what="the email")
        await eventually(
            lambda: bool(
                named(spans.get_finished_spans(), handler(jb, "notification", "RequestVerified"))
            ),
            what="notification's span",
        )
        messages = await headers_on(kafka_bootstrap, jb.settings.events_topic)

    finished = spans.get_finished_spans()
    [submit] = named(finished, "intake POST /v1/requests")
    trace_id = submit.context.trace_id
    assert submit.attributes is not None
    assert submit.attributes["http.response.status_code"] == 201
    handled = [
        s
        for s in finished
        if s.name.startswith((handler(jb, "verification", ""), handler(jb, "notification", "")))
    ]
    assert {s.name for s in handled} >= {
        handler(jb, "verification", "RequestSubmitted"),
        handler(jb, "notification", "RequestVerified"),
    }
    assert {s.context.trace_id for s in handled} == {trace_id}
    # Inside them, the steps: intake's and verification's appends, the email's send.
    [sent] = named(finished, "send email")
    appends = [s for s in named(finished, "append") if s.context.trace_id == trace_id]
    assert sent.context.trace_id == trace_id
    assert len(appends) >= 3  # the submission, the decision, the notification's outcome
    # What joined them: every event of this request went out with the trace in its headers.
    traced = {m["traceparent"].split("-")[1] for m in messages}
    assert traced == {format(trace_id, "032x")}
    assert {m["event_type"] for m in messages} >= {"RequestSubmitted", "RequestVerified"}
    # Nothing personal in any span: names and attributes are routes, types and ids.
    text = json.dumps([[s.name, dict(s.attributes or {})] for s in finished])
    assert form()["applicant"]["nik"] not in text
    assert "/v1/status/" not in text
    assert "url." not in text  # FastAPI's own tracing (URLs, query strings) is off


async def test_events_the_relay_publishes_stay_in_the_submissions_trace(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str, spans: InMemorySpanExporter
) -> None:
    """No service publishes what it appends (JEMPUT_PUBLISH_APPENDS=false): every event
    reaches Kafka through the relay, from the outbox, in another process's memory than
    its writer's. The trace goes with it, stored beside each outbox entry."""
    async with pipeline(mongo_db.name, publish_appends=False) as jb:
        response = await jb.intake.post("/v1/requests", json=form(), headers=jb.as_("officer-1"))
        assert response.status_code == 201, response.text
        await eventually(lambda: len(jb.mailbox.to(EMAIL)) == 1, what="the email")
        await eventually(
            lambda: bool(
                named(spans.get_finished_spans(), handler(jb, "notification", "RequestVerified"))
            ),
            what="notification's span",
        )
        messages = await headers_on(kafka_bootstrap, jb.settings.events_topic)
        stored = await mongo_db["events"].find({}).to_list(None)

    finished = spans.get_finished_spans()
    [submit] = named(finished, "intake POST /v1/requests")
    trace_id = submit.context.trace_id
    handled = [s for s in finished if " handle Request" in s.name]
    assert {s.name for s in handled} >= {
        handler(jb, "verification", "RequestSubmitted"),
        handler(jb, "notification", "RequestVerified"),
    }
    assert {s.context.trace_id for s in handled} == {trace_id}
    assert {m["traceparent"].split("-")[1] for m in messages} == {format(trace_id, "032x")}
    # The log is as it would be untraced: the context lived in the outbox only.
    assert stored
    assert not any("traceparent" in doc for doc in stored)
