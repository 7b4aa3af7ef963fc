"""`make docs`: each service's AsyncAPI document (by FastStream, its messages described by
asyncapi.py) and OpenAPI document (by FastAPI), written to docs/api/. The handlers are
wired to nothing: only their shapes count."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.specification import AsyncAPI

from deploy.docs.asyncapi import (
    DEAD_LETTER,
    NOTIFICATION_GAVE_UP,
    SUBMISSION,
    Catalogue,
    build_catalogue,
    describe,
    event_names,
)
from services.audit.bootstrap import create_app as audit_app
from services.audit.settings import AuditSettings
from services.dashboard.bootstrap import create_app as dashboard_app
from services.dashboard.bootstrap import events_router as dashboard_router
from services.dashboard.settings import DashboardSettings
from services.intake.bootstrap import create_app as intake_app
from services.intake.kafka import intake_router
from services.intake.settings import IntakeSettings
from services.notification.bootstrap import create_app as notification_app
from services.notification.bootstrap import dead_letter_publisher
from services.notification.bootstrap import subscribe as notification_subscribe
from services.notification.settings import NotificationSettings
from services.verification.bootstrap import create_app as verification_app
from services.verification.bootstrap import events_router as verification_router
from services.verification.settings import VerificationSettings

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "api"
NOTHING = cast(Any, None)


def asyncapi(title: str, router: KafkaRouter, description: str, found: Catalogue) -> dict[str, Any]:
    broker = KafkaBroker("kafka:9092", description="The jemput Kafka cluster")
    broker.include_router(router)
    spec = AsyncAPI(broker, title=title, version="1", description=description)
    document: dict[str, Any] = json.loads(spec.to_specification().to_json())
    return describe(document, on_topics(), found)


def on_topics() -> dict[str, list[str]]:
    """What travels on each topic (the services' default names)."""
    return {
        IntakeSettings().intake_topic: [SUBMISSION],
        IntakeSettings().intake_dead_letter_topic: [DEAD_LETTER],
        VerificationSettings().events_topic: event_names(),
        VerificationSettings().dead_letter_topic: [DEAD_LETTER],
        NotificationSettings().dead_letter_topic: [DEAD_LETTER, NOTIFICATION_GAVE_UP],
        DashboardSettings().dead_letter_topic: [DEAD_LETTER],
    }


def relay_router() -> KafkaRouter:
    """The events topic from the writers' side: what an integrator reading it gets."""
    router = KafkaRouter()
    router.publisher(
        VerificationSettings().events_topic,
        description="Every stored event, as stored (personal fields sealed), in each "
        "applicant's order: published by the service that appended it, or by the relay "
        "from the outbox when that service died first",
    )
    return router


def main(out: Path = DEFAULT_OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    found = build_catalogue()
    notification_kafka = KafkaRouter()
    notification_subscribe(
        notification_kafka,
        NotificationSettings(),
        NOTHING,
        dead_letter_publisher(notification_kafka, NotificationSettings()),
    )
    documents: dict[str, tuple[FastAPI | None, dict[str, Any] | None]] = {
        "intake": (
            intake_app(IntakeSettings()),
            asyncapi(
                "jemput intake",
                intake_router(IntakeSettings(), NOTHING),
                "Request submissions from other systems.",
                found,
            ),
        ),
        "verification": (
            verification_app(VerificationSettings()),
            asyncapi(
                "jemput verification",
                verification_router(VerificationSettings(), NOTHING),
                "Decides requests from the events topic.",
                found,
            ),
        ),
        "notification": (
            notification_app(NotificationSettings()),
            asyncapi(
                "jemput notification",
                notification_kafka,
                "Tells applicants about decisions.",
                found,
            ),
        ),
        "dashboard": (
            dashboard_app(),
            asyncapi(
                "jemput dashboard",
                dashboard_router(DashboardSettings(), NOTHING, NOTHING),
                "The supervisors' read model, fed by the events topic.",
                found,
            ),
        ),
        "events": (
            None,
            asyncapi(
                "jemput events",
                relay_router(),
                "What jemput publishes on its events topic, for systems that read it.",
                found,
            ),
        ),
        "audit": (audit_app(AuditSettings()), None),
    }
    for name, (app, spec) in documents.items():
        written = []
        if app is not None:
            (out / f"{name}.openapi.json").write_text(json.dumps(app.openapi(), indent=2) + "\n")
            written.append(f"docs/api/{name}.openapi.json")
        if spec is not None:
            (out / f"{name}.asyncapi.json").write_text(json.dumps(spec, indent=2) + "\n")
            written.append(f"docs/api/{name}.asyncapi.json")
        print(", ".join(written))


if __name__ == "__main__":
    main()
