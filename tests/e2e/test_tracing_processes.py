"""One submission, one trace, across real processes: intake, verification and
notification each run as `python -m services.<name>` with OTEL_EXPORTER_OTLP_ENDPOINT
pointing at a small OTLP/HTTP receiver of the test's own; the spans they export (over the
wire, protobuf) share one trace id, which only the Kafka headers can have carried."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.recorder import Document
from shared.web.api_keys import key_digest
from tests.e2e.receivers import free_port, smtp_server
from tests.factories import form
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
OFFICER_KEY = "officer-key-0123456789"
EMAIL = "siti@example.id"

VERIFIED = "verification handle RequestSubmitted"  # after the group prefix
NOTIFIED = "notification handle RequestVerified"


class Collector(BaseHTTPRequestHandler):
    """OTLP/HTTP's trace endpoint: keeps (service, span name, trace id) of what it gets."""

    spans: ClassVar[list[tuple[str, str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    self.spans.append(
                        (attributes.get("service.name", ""), span.name, span.trace_id.hex())
                    )
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_: object) -> None:  # quiet
        return


@contextmanager
def collector() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def service(name: str, env: dict[str, str], log: Path) -> Iterator[int]:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            env={**env, "JEMPUT_HTTP_PORT": str(port)},
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )
    try:
        yield port
    finally:
        process.terminate()
        process.wait(30)


async def test_spans_from_three_processes_share_one_trace(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:8]
    with ExitStack() as stack:
        otlp = stack.enter_context(collector())
        mailbox, smtp_port = stack.enter_context(smtp_server())
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("JEMPUT_", "OTEL_"))},
            "JEMPUT_MONGO_DB": mongo_db.name,
            "JEMPUT_EVENTS_TOPIC": f"test.events.{suffix}",
            "JEMPUT_KAFKA_GROUP_PREFIX": f"test-{suffix}",
            "JEMPUT_INTAKE_TOPIC": f"test.intake.{suffix}",
            "JEMPUT_DEAD_LETTER_TOPIC": f"test.dlq.{suffix}",
            "JEMPUT_INTAKE_DEAD_LETTER_TOPIC": f"test.intake.dlq.{suffix}",
            "JEMPUT_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "JEMPUT_CHAIN_KEY_ID": "test",
            "JEMPUT_CHAIN_KEY": "test-chain-key-0123456789",
            "JEMPUT_API_KEYS": json.dumps(
                {"officer-1": {"role": "officer", "sha256": key_digest(OFFICER_KEY)}}
            ),
            "JEMPUT_SMTP_PORT": str(smtp_port),
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{otlp}",
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # export within a moment, not 5 s
        }
        ports = {
            name: stack.enter_context(service(name, env, tmp_path / f"{name}.log"))
            for name in ("intake", "verification", "notification")
        }
        async with httpx.AsyncClient(timeout=10) as http:

            async def ready() -> bool:
                for port in ports.values():
                    try:
                        answer = await http.get(f"http://127.0.0.1:{port}/health/ready")
                    except httpx.TransportError:
                        return False
                    if answer.status_code != 200:
                        return False
                return True

            await eventually(ready, within=90, interval=0.5, what="three services ready")
            response = await http.post(
                f"http://127.0.0.1:{ports['intake']}/v1/requests",
                json=form(),
                headers={"X-API-Key": OFFICER_KEY},
            )
            assert response.status_code == 201, response.text
            await eventually(lambda: len(mailbox.to(EMAIL)) == 1, within=60, what="the email")

            def by(service: str, name: str) -> set[str]:
                return {t for s, n, t in Collector.spans if s == service and n == name}

            # Each process exports in batches of its own: the email can arrive before
            # intake's span (ended once its answer was sent) has been exported.
            await eventually(
                lambda: (
                    # A parent span ends after its children (the handler after its email):
                    # every span asserted on below is waited for.
                    bool(by("jemput-notification", "send email"))
                    and bool(by("jemput-notification", f"test-{suffix}-{NOTIFIED}"))
                    and bool(by("jemput-verification", f"test-{suffix}-{VERIFIED}"))
                    and bool(by("jemput-intake", "intake POST /v1/requests"))
                ),
                within=30,
                what="every process's spans exported",
            )
            submitted = by("jemput-intake", "intake POST /v1/requests")
    [trace_id] = submitted
    assert by("jemput-verification", f"test-{suffix}-{VERIFIED}") == {trace_id}
    assert by("jemput-notification", f"test-{suffix}-{NOTIFIED}") == {trace_id}
    assert by("jemput-notification", "send email") == {trace_id}
    # The trace id is in the services' JSON logs too, to read one request across pods.
    log = (tmp_path / "notification.log").read_text().splitlines()
    lines = [json.loads(line) for line in log if line.startswith("{")]
    [notified] = [line for line in lines if line["message"] == "notified"]
    assert notified["trace_id"] == trace_id
