"""One request, one trace (OpenTelemetry): intake's HTTP span, then a span for each
consumer that handles one of its events, in whichever process, joined through a W3C
`traceparent` header on each Kafka message.

Off and free unless OTEL_EXPORTER_OTLP_ENDPOINT is set (`configure`, called once per
process by `shared.runtime.serve`): the API's no-op tracer makes spans that cost nothing
and put no header on messages. Spans carry route templates, event types, ids and status
codes: never a URL (a tracking code is a key to a status), a body or personal data.

How a trace crosses Kafka: when an append's records are handed to the publisher, the
context of the code that appended them (a request's span, a handler's span) is kept by
event id (`remember`); the publisher puts it in the message's headers (`headers_for`).
A consumer keeps each message's context as it reads it (`received`) and handles the event
under a span that continues it (`handling`). What a writer leaves to the relay (it died,
or Kafka was away) keeps its trace too: the append's `traceparent` is stored with each
outbox entry, beside the sealed event and not in it (the log and its seals are the same
traced or not), and the relay hands it back by event id as it reads the outbox (`carried`).
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

log = logging.getLogger(__name__)
tracer = trace.get_tracer("jemput")
KEPT = 10_000  # contexts kept by event id, until published or consumed (a bounded memory)
_published: OrderedDict[str, dict[str, str]] = OrderedDict()
_received: OrderedDict[str, dict[str, str]] = OrderedDict()


def configure(service: str) -> bool:
    """Export spans over OTLP (HTTP) when OTEL_EXPORTER_OTLP_ENDPOINT is set; the SDK is
    imported only then. Whether tracing is on."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"jemput-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    log.info("tracing on", extra={"exporter": "otlp"})
    return True


def _keep(kept: OrderedDict[str, dict[str, str]], key: str, carrier: dict[str, str]) -> None:
    if carrier:
        kept[key] = carrier
        while len(kept) > KEPT:
            kept.popitem(last=False)


def remember(event_ids: Sequence[str]) -> None:
    """The current context travels with these events when they are published."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    for event_id in event_ids:
        _keep(_published, event_id, carrier)


def traceparent() -> str | None:
    """The current context as a W3C `traceparent` (None outside a trace, and when off)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def carried(event_id: str, traceparent: str | None) -> None:
    """An event's context as stored with its outbox entry: whoever publishes the event
    next (the relay) puts it in the message's headers."""
    if traceparent:
        _keep(_published, event_id, {"traceparent": traceparent})


def headers_for(event_id: str) -> dict[str, str]:
    """The message headers that carry the appender's context (none if it had none)."""
    return _published.pop(event_id, {})


def received(group: str, event_id: str, headers: Sequence[tuple[str, bytes]] | None) -> None:
    """A consumer read this event's message: keep the context its headers carry (by
    group too: two groups in one process read the same message)."""
    carrier = {k: v.decode("latin-1") for k, v in headers or () if k == "traceparent"}
    _keep(_received, f"{group}/{event_id}", carrier)


@contextmanager
def handling(group: str, event_type: str, event_id: str) -> Iterator[None]:
    """A consumer span for one event, continuing the trace its message carried."""
    parent = propagate.extract(_received.pop(f"{group}/{event_id}", {}))
    with tracer.start_as_current_span(
        f"{group} handle {event_type}",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={"messaging.consumer.group.name": group, "jemput.event_id": event_id},
    ):
        yield


@contextmanager
def http_span(service: str, method: str, headers: Mapping[str, str]) -> Iterator[Any]:
    """A server span for one HTTP request; named by its route once routing knows it
    (`finish`), never by its URL."""
    parent = propagate.extract(dict(headers))
    token = context.attach(parent)
    try:
        with tracer.start_as_current_span(
            f"{service} {method}", kind=SpanKind.SERVER, attributes={"http.request.method": method}
        ) as span:
            yield span
    finally:
        context.detach(token)


def finish(span: Any, service: str, method: str, route: str, status: int) -> None:
    span.update_name(f"{service} {method} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


@contextmanager
def step(name: str, **attributes: str | int) -> Iterator[None]:
    """A span for one step inside a request's or an event's handling (an append, a send)."""
    with tracer.start_as_current_span(name, attributes=attributes):
        yield


def log_ids() -> dict[str, str]:
    """The current trace and span ids, for a JSON log line (none outside a trace)."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return {}
    return {
        "trace_id": format(span_context.trace_id, "032x"),
        "span_id": format(span_context.span_id, "016x"),
    }
