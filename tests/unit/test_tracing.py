"""Tracing's parts that need no Kafka (shared/observability/tracing.py): off unless an
OTLP endpoint is set, a context handed from appender to publisher by event id, and the
trace id in every JSON log line written inside a span. One trace across the real stack:
tests/e2e/test_tracing.py."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider

from shared.observability import tracing
from shared.runtime import JsonLines

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import os
from opentelemetry import trace
from shared.observability import tracing
print(tracing.configure("intake"), type(trace.get_tracer_provider()).__name__)
"""


def configured(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    return done.stdout.strip()


def test_off_and_without_the_sdk_unless_an_endpoint_is_set() -> None:
    path = {"PATH": "/usr/bin:/bin"}
    assert configured(path) == "False ProxyTracerProvider"
    on = configured({**path, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:18790"})
    assert on == "True TracerProvider"


def test_the_appenders_context_is_handed_to_the_publisher_once() -> None:
    tracer = TracerProvider().get_tracer("test")
    assert tracing.headers_for("never-remembered") == {}
    with tracer.start_as_current_span("append") as span:
        tracing.remember(["e1", "e2"])
    trace_id = format(span.get_span_context().trace_id, "032x")
    header = tracing.headers_for("e1")["traceparent"]
    assert header.split("-")[1] == trace_id
    assert tracing.headers_for("e1") == {}  # handed over once
    assert tracing.headers_for("e2")["traceparent"] == header


def test_no_context_no_header() -> None:
    tracing.remember(["e3"])  # outside any span (tracing off)
    assert tracing.headers_for("e3") == {}


def test_a_log_line_in_a_span_names_its_trace() -> None:
    tracer = TracerProvider().get_tracer("test")
    record = logging.LogRecord("jemput", logging.INFO, "", 0, "handled", None, None)
    assert "trace_id" not in json.loads(JsonLines().format(record))
    with tracer.start_as_current_span("handle") as span:
        line = json.loads(JsonLines().format(record))
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")
