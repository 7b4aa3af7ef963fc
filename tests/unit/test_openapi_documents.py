"""The OpenAPI documents, read without a server: every refusal a service gives is
documented with the body it really has (the e2e tier fuzzes the running services)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from services.audit.bootstrap import create_app as audit_app
from services.dashboard.bootstrap import create_app as dashboard_app
from services.intake.bootstrap import create_app as intake_app
from services.verification.bootstrap import create_app as verification_app
from shared.domain.requests import RequestForm
from tests.factories import form

APPS: dict[str, Callable[[], FastAPI]] = {
    "intake": intake_app,
    "verification": verification_app,
    "audit": audit_app,
    "dashboard": dashboard_app,
}
LIMITED = {("get", "/v1/status/{tracking_code}"), ("post", "/v1/status")}  # for applicants
PUBLIC = {*LIMITED, ("get", "/v1/app-data")}  # no key; the app's data holds nothing personal


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return [(method, path, op) for path, ops in paths.items() for method, op in ops.items()]


@pytest.mark.parametrize("service", list(APPS))
def test_every_operation_documents_its_refusals_with_their_real_bodies(service: str) -> None:
    app = APPS[service]()
    document = app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, op in operations(app):
        answers = op["responses"]
        expected = {"422", "503"} if (method, path) in PUBLIC else {"401", "403", "422", "503"}
        if (method, path) in LIMITED:  # guessing codes is limited per client
            assert answers["429"]["headers"]["Retry-After"], (method, path)
        if method == "post":
            expected |= {"400", "411", "413", "415"}
        assert expected <= answers.keys(), (method, path, sorted(answers))
        invalid = answers["422"]["content"]["application/json"]["schema"]["$ref"]
        assert invalid.endswith("/InvalidRequest"), (method, path)
        assert answers["503"]["headers"]["Retry-After"], (method, path)
        unavailable = answers["503"]["content"]["application/json"]["schema"]["$ref"]
        assert unavailable.endswith("/Unavailable"), (method, path)
        for status in answers.keys() - {"422", "503"} - {s for s in answers if s[0] in "23"}:
            ref = answers[status]["content"]["application/json"]["schema"]["$ref"]
            # A Problem, or a Problem that says more (a review's conflict names who, a
            # broken chain where it broke).
            said = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
            assert "detail" in said["required"], (method, path, status)
            assert said["properties"]["detail"]["type"] == "string", (method, path, status)


def test_every_audit_read_of_a_stream_documents_a_broken_chain() -> None:
    """A tampered stream answers what verify found (409), never a bare 500."""
    app = audit_app()
    schemas = app.openapi()["components"]["schemas"]
    assert {"detail", "stream_id", "version", "kind"} <= schemas["BrokenChain"]["properties"].keys()
    reads = [
        (m, p) for m, p, _ in operations(app) if "/streams/{stream_id}/" in p or "explain" in p
    ]
    assert len(reads) >= 8
    for method, path, op in operations(app):
        if (method, path) in reads and not path.endswith("/documents"):
            ref = op["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/BrokenChain"), (method, path)


def test_each_kind_of_details_requires_its_kind() -> None:
    """`details: {}` was valid by the document and refused by the service."""
    schemas = intake_app().openapi()["components"]["schemas"]
    for variant in ("EktpRecording", "BirthCertificate", "Skds"):
        assert "kind" in schemas[variant]["required"], variant
    with pytest.raises(ValidationError, match="details"):
        RequestForm.model_validate({**form(), "details": {}})


@pytest.mark.parametrize(
    "details",
    [
        {"kind": "skds", "city_address": "Jl. Kemang 5", "stay_months": True},
        {"kind": "skds", "city_address": "Jl. Kemang 5", "stay_months": "6"},
    ],
)
def test_numbers_and_yes_no_are_what_the_document_says_not_lookalikes(
    details: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError, match="stay_months"):
        RequestForm.model_validate({**form("skds"), "details": details})
