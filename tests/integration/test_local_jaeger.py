"""The trace viewer `make run` starts (deploy/local/jaeger.yaml, the binary `make jaeger`
builds) takes jemput's spans over OTLP/HTTP and answers for them by trace id in its query
API, on loopback ports of the test's own. Skipped where
Jaeger is not built: it is not part of `make setup` (a 14-minute build)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
JAEGER = ROOT / ".local" / "bin" / "jaeger"
CONFIG = ROOT / "deploy" / "local" / "jaeger.yaml"

pytestmark = pytest.mark.skipif(not JAEGER.exists(), reason="not built: make jaeger")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def jaeger(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Jaeger as run.sh starts it: (its UI and API, its OTLP/HTTP endpoint)."""
    ui, otlp, grpc = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "JEMPUT_JAEGER_UI_PORT": str(ui),
        "JEMPUT_JAEGER_OTLP_PORT": str(otlp),
        "JEMPUT_JAEGER_GRPC_PORT": str(grpc),
    }
    log = tmp_path / "jaeger.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(JAEGER), "--config", str(CONFIG)], env=env, stdout=out, stderr=out
        )
    try:
        yield f"http://127.0.0.1:{ui}", f"http://127.0.0.1:{otlp}"
    finally:
        process.terminate()
        process.wait(timeout=15)


async def test_a_trace_exported_by_jemput_is_found_by_its_id(
    jaeger: tuple[str, str],
) -> None:
    api, otlp = jaeger
    async with httpx.AsyncClient(timeout=5) as client:

        async def answers() -> bool:
            try:
                return (await client.get(f"{api}/api/services")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(answers, what="jaeger's query API")
        provider = TracerProvider(resource=Resource.create({"service.name": "jemput-intake"}))
        provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(f"{otlp}/v1/traces")))
        tracer = provider.get_tracer("test")
        with (
            tracer.start_as_current_span("intake POST /v1/requests") as span,
            tracer.start_as_current_span("append"),
        ):
            pass
        provider.shutdown()
        trace_id = format(span.get_span_context().trace_id, "032x")
        names: set[str] = set()

        async def found() -> bool:
            response = await client.get(f"{api}/api/traces/{trace_id}")
            if response.status_code != 200:
                return False
            [trace] = response.json()["data"]
            names.update(s["operationName"] for s in trace["spans"])
            return True

        await eventually(found, what="the trace in jaeger")
    assert names == {"intake POST /v1/requests", "append"}
