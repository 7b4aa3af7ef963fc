"""`make docs` writes every service's OpenAPI and AsyncAPI (FastStream) documents."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_documents_name_every_route_and_topic(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "deploy/docs/generate.py")
    assert spec is not None
    assert spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    generate.main(tmp_path)

    intake = json.loads((tmp_path / "intake.openapi.json").read_text())
    assert {"/v1/requests", "/v1/requests/batch", "/v1/status/{tracking_code}"} <= intake[
        "paths"
    ].keys()
    audit = json.loads((tmp_path / "audit.openapi.json").read_text())
    assert "/v1/audit/streams/{stream_id}/history" in audit["paths"]
    reviews = json.loads((tmp_path / "verification.openapi.json").read_text())
    assert "/v1/reviews/{tracking_code}/decision" in reviews["paths"]
    topics = {
        name: {
            c["address"]
            for c in json.loads((tmp_path / f"{name}.asyncapi.json").read_text())[
                "channels"
            ].values()
        }
        for name in ("intake", "verification", "notification")
    }
    assert topics["intake"] == {"jemput.intake.v1", "jemput.intake.dlq.v1"}
    assert topics["verification"] == {"jemput.events.v1", "jemput.verification.dlq.v1"}
    assert topics["notification"] == {"jemput.events.v1", "jemput.notification.dlq.v1"}
    asyncapi = json.loads((tmp_path / "intake.asyncapi.json").read_text())
    assert asyncapi["asyncapi"].startswith("3.")
