"""The API examples of the README and of the integrators' guide, run as written against
the real stack, each document from a store of its own.

Without the relay, and with services that leave publishing to it, nothing reaches Kafka,
so no decision races the examples: they show the API as an officer sees it the moment
after submitting.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.audit.bootstrap import create_app as audit_app
from services.audit.settings import AuditSettings
from services.intake.bootstrap import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.verification.bootstrap import create_app as verification_app
from services.verification.settings import VerificationSettings
from shared.eventstore.recorder import Document
from shared.web.http import ApiKey, Role, key_digest
from tests.e2e.pipeline import common

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# Each document's examples run in order; how many it has (a lost block fails the test).
DOCUMENTS = {"README.md": 2, "docs/integrators.md": 6}
BLOCK = re.compile(
    r"```http\n(?P<method>[A-Z]+) (?P<path>\S+) -> (?P<status>\d+)\n(?P<rest>.*?)```", re.S
)
DEV_KEYS = {
    "officer-dev": (Role.OFFICER, "dev-officer-key"),
    "verifier-dev": (Role.VERIFIER, "dev-verifier-key"),
    "auditor-dev": (Role.AUDITOR, "dev-auditor-key"),
}


def examples(document: Path = README) -> list[tuple[str, str, int, dict[str, str], str]]:
    found = []
    for block in BLOCK.finditer(document.read_text()):
        head, _, body = block["rest"].partition("\n\n")
        headers = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
        found.append((block["method"], block["path"], int(block["status"]), headers, body.strip()))
    return found


@pytest.mark.parametrize("document", list(DOCUMENTS))
async def test_every_example_answers_as_documented(
    document: str, mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    settings = common(mongo_db.name) | {"publish_appends": False}
    settings["api_keys"] = {
        n: ApiKey(role=r, sha256=key_digest(k)) for n, (r, k) in DEV_KEYS.items()
    }
    intake, verification, audit = (
        intake_app(IntakeSettings(**settings)),
        verification_app(VerificationSettings(**settings)),
        audit_app(AuditSettings(**settings)),
    )
    ran = 0
    code = ""
    async with (
        intake.router.lifespan_context(intake),
        verification.router.lifespan_context(verification),
        audit.router.lifespan_context(audit),
    ):
        apps = {"/v1/reviews": verification, "/v1/audit": audit}
        for method, path, status, headers, body in examples(ROOT / document):
            app = next((a for prefix, a in apps.items() if path.startswith(prefix)), intake)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://readme") as client:
                response = await client.request(
                    method,
                    path.replace("{tracking_code}", code),
                    headers=headers,
                    content=body.encode() or None,
                )
            assert response.status_code == status, (method, path, response.text)
            if "tracking_code" in response.text and not code:
                code = response.json()["tracking_code"]
            if path.endswith("/batch"):
                assert [i["result"] for i in response.json()["items"]] == ["duplicate", "invalid"]
            ran += 1
    assert ran == DOCUMENTS[document]


def test_make_runs_sample_request_is_the_readmes_first_example() -> None:
    sample = Path(__file__).resolve().parents[2] / "deploy/local/sample-request.json"
    assert json.loads(sample.read_text()) == json.loads(examples()[0][4])
