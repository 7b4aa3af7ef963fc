"""`make docs`: each service's AsyncAPI document (by FastStream, its messages described by
asyncapi.py) and OpenAPI document (by FastAPI), written to docs/api/. The handlers are
wired to nothing: only their shapes count."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

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
    }


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
    documents = {
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
    }
    for name, app in (("audit", audit_app(AuditSettings())), ("dashboard", dashboard_app())):
        (out / f"{name}.openapi.json").write_text(json.dumps(app.openapi(), indent=2) + "\n")
        print(f"docs/api/{name}.openapi.json")
    for name, (app, spec) in documents.items():
        (out / f"{name}.openapi.json").write_text(json.dumps(app.openapi(), indent=2) + "\n")
        (out / f"{name}.asyncapi.json").write_text(json.dumps(spec, indent=2) + "\n")
        print(f"docs/api/{name}.openapi.json, docs/api/{name}.asyncapi.json")


if __name__ == "__main__":
    main()
