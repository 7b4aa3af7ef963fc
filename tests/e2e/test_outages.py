"""What intake and notification do while a part of the stack is away: answer 503 with
Retry-After at once (never hang, never 500), shed overload, wait for a channel that is
down instead of dead-lettering, and recover by themselves. Real FerretDB, Kafka, SMTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from prometheus_client import REGISTRY
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.bootstrap import create_app as intake_app
from services.intake.settings import IntakeSettings
from shared.eventstore.recorder import Document
from tests.e2e.own_store import own_store
from tests.e2e.pipeline import KEYS, common, pipeline
from tests.e2e.receivers import SmtpServer
from tests.factories import form
from tests.observer import collecting
from tests.waiting import eventually

OFFICER = {"X-API-Key": KEYS["officer-1"][1]}


def nik(n: int) -> str:
    return f"317401150390{n:04d}"


@asynccontextmanager
async def intake_on(settings: IntakeSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = intake_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield client


async def post(client: httpx.AsyncClient, n: int) -> httpx.Response:
    body = {**form(nik=nik(n)), "request_id": f"outage-{n:06d}"}
    return await client.post("/v1/requests", json=body, headers=OFFICER)


async def test_store_down_intake_answers_503_at_once_and_recovers(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    with own_store(tmp_path) as store:
        settings = IntakeSettings(**common("jemput_outage"), mongo_url=store.url)
        async with intake_on(settings) as intake:
            assert (await post(intake, 1)).status_code == 201
            store.kill()
            # Bounded by the server selection limit (2 s; tests/unit/test_settings.py checks
            # the client takes it), not pymongo's default 30 s. How long it takes is the
            # drill's business (make drill), not a functional test's.
            refused = await post(intake, 2)
            assert refused.status_code == 503, refused.text
            assert refused.headers["Retry-After"] == str(settings.retry_after_seconds)
            assert refused.json()["reason"] == "store_down"
            # Those that follow are refused by the breaker, without asking the store again.
            breaker_before = metric(
                "jemput_http_requests_total", service="intake", route="store_down", status="503"
            )
            followers = await asyncio.gather(*(post(intake, n) for n in range(3, 13)))
            assert {r.status_code for r in followers} == {503}
            breaker_after = metric(
                "jemput_http_requests_total", service="intake", route="store_down", status="503"
            )
            assert breaker_after - breaker_before == len(followers)
            assert (await intake.get("/health/ready")).status_code == 503
            assert (await intake.get("/health/live")).status_code == 200
            store.start()

            async def taken_again() -> bool:
                return (await post(intake, 2)).status_code == 201  # the same request, resent

            await eventually(taken_again, within=30, what="intake to take requests again")
            again = await post(intake, 2)
            assert again.json()["result"] == "duplicate"
            assert (await intake.get("/health/ready")).status_code == 200


async def test_overload_is_shed_with_retry_after_never_500(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    settings = IntakeSettings(**common(mongo_db.name), max_in_flight_requests=3)
    shed_before = metric("jemput_http_unavailable_total", service="intake", reason="overload")
    async with intake_on(settings) as intake:
        answers = await asyncio.gather(*(post(intake, n) for n in range(1, 41)))
        codes = [a.status_code for a in answers]
        assert set(codes) <= {201, 503}, codes
        shed = [a for a in answers if a.status_code == 503]
        assert shed, "40 at once against a limit of 3: some must be shed"
        assert all(a.headers["Retry-After"] and a.json()["reason"] == "overload" for a in shed)
        assert codes.count(201) >= 3
        # It recovers by itself: once the burst is over, every request is taken.
        for n in range(41, 45):
            assert (await post(intake, n)).status_code == 201
    shed_after = metric("jemput_http_unavailable_total", service="intake", reason="overload")
    assert shed_after - shed_before == len(shed)


def metric(name: str, **labels: str) -> float:
    """A counter's value in this process (the services run in it), 0 before its first use."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_smtp_down_notifications_wait_then_deliver_once_no_dead_letter(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    smtp = SmtpServer()
    smtp.start()
    try:
        async with (
            pipeline(mongo_db.name, smtp=(smtp.mailbox, smtp.port)) as jb,
            collecting(kafka_bootstrap, jb.notification_dead_letters) as dead,
        ):
            smtp.stop()
            email = f"down-{uuid.uuid4().hex[:6]}@example.id"
            body = form(nik=nik(7), applicant={"email": email, "phone": None})
            answer = await jb.intake.post("/v1/requests", json=body, headers=OFFICER)
            assert answer.status_code == 201, answer.text
            failed = mongo_db["events"]

            async def failed_once() -> bool:
                n = await failed.count_documents({"event_type": "NotificationFailed"})
                return bool(n >= 1)

            await eventually(failed_once, within=30, what="a failed attempt while down")
            # Old behaviour: 3 attempts 0.05 s apart, then the dead-letter topic. Now it
            # waits: still nothing final after several of its backoffs.
            waits = metric("jemput_notification_channel_waits_total", channel="email")
            await eventually(
                lambda: (
                    metric("jemput_notification_channel_waits_total", channel="email") >= waits + 3
                ),
                within=10,
                what="notification to wait for the SMTP server",
            )
            assert not await failed.count_documents(
                {"event_type": "NotificationFailed", "payload.final": True}
            )
            smtp.start()
            await eventually(lambda: len(smtp.mailbox.to(email)) == 1, within=30, what="the email")

            async def delivered() -> bool:
                n = await failed.count_documents({"event_type": "NotificationDelivered"})
                return bool(n == 1)

            await eventually(delivered, within=10, what="the delivery recorded")
            assert len(smtp.mailbox.to(email)) == 1
            assert smtp.mailbox.only_to(email)
            assert dead == []
    finally:
        smtp.stop()
