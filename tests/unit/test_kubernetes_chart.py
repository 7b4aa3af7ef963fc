"""The Helm chart (deploy/kubernetes/jemput), rendered with every example values file and
checked offline: valid for a current Kubernetes (kubernetes-validate's schemas), probes on
routes the services really serve, settings the services really read, keys only from
Secrets, and a network that lets in and out only what each service needs.

Needs helm, which `make setup` builds (deploy/tools/build.sh); without it the tests fail,
saying so: a chart nobody rendered is not checked."""

from __future__ import annotations

import importlib
import os
import subprocess
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route

from tests.unit.test_docs_and_deploy import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy/kubernetes/jemput"
EXAMPLES = sorted((ROOT / "deploy/kubernetes/examples").glob("*.yaml"))
KUBERNETES = "1.37.0"  # kubernetes-validate's newest schemas (Kubernetes 1.37)
SECRET_SETTINGS = {
    "JEMPUT_CHAIN_KEY",
    "JEMPUT_CHAIN_OLD_KEYS",
    "JEMPUT_PSEUDONYM_KEY",
    "JEMPUT_DATA_KEK",
    "JEMPUT_DATA_OLD_KEKS",
    "JEMPUT_API_KEYS",
    "JEMPUT_MONGO_URL",
}
EXPOSED = {"intake", "dashboard"}  # the applicants' status and the supervisors' page


def helm() -> Path:
    state = Path(os.environ.get("JEMPUT_STATE_DIR") or ROOT / ".local")
    path = state / "bin" / "helm"
    if not path.exists():
        pytest.fail(f"no helm at {path}: run `make setup` (deploy/tools/build.sh helm)")
    return path


def render(values: Path | None, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [str(helm()), "template", "jemput", str(CHART), "--namespace", "jemput"]
    command += ["--kube-version", KUBERNETES, *(["-f", str(values)] if values else []), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@cache
def objects(values: Path | None) -> list[dict[str, Any]]:
    done = render(values)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


VALUES = [None, *EXAMPLES]  # the chart's defaults, then each example
NAMES = ["defaults", *(p.stem for p in EXAMPLES)]


def of_kind(values: Path | None, kind: str) -> list[dict[str, Any]]:
    return [o for o in objects(values) if o["kind"] == kind]


def deployments(values: Path | None) -> Iterator[tuple[str, dict[str, Any]]]:
    for d in of_kind(values, "Deployment"):
        yield d["metadata"]["labels"]["app.kubernetes.io/component"], d


def test_there_are_examples_for_a_city_and_a_province() -> None:
    assert {p.stem for p in EXAMPLES} >= {"city", "province"}


@pytest.mark.parametrize("values", VALUES, ids=NAMES)
def test_every_object_is_valid_for_a_current_kubernetes(values: Path | None) -> None:
    rendered = objects(values)
    kinds = {o["kind"] for o in rendered}
    assert kinds >= {
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "ConfigMap",
        "Ingress",
        "Job",
        "CronJob",
    }
    for o in rendered:
        kubernetes_validate.validate(o, KUBERNETES, strict=True)


@cache
def app_of(service: str) -> FastAPI:
    bootstrap = importlib.import_module(f"services.{service}.bootstrap")
    app: FastAPI = bootstrap.create_app()
    return app


def routes(app: FastAPI) -> set[str]:
    return {r.path for r in app.routes if isinstance(r, APIRoute | Route)}


@pytest.mark.parametrize("values", VALUES, ids=NAMES)
def test_probes_ask_routes_the_service_serves_on_its_port(values: Path | None) -> None:
    seen = set()
    for service, d in deployments(values):
        [container] = d["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["python", "-m", f"services.{service}"]
        assert importlib.util.find_spec(f"services.{service}.__main__") is not None
        app = app_of(service)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["JEMPUT_HTTP_PORT"] == str(ports["http"])
        assert ports["http"] == app.state.settings.http_port  # the service's own default
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            get = container[probe]["httpGet"]
            assert get["port"] == "http", (service, probe)
            assert get["path"] in routes(app), (service, probe, get["path"])
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        seen.add(service)
    assert seen == {"intake", "verification", "notification", "audit", "dashboard", "relay"}


@pytest.mark.parametrize("values", VALUES, ids=NAMES)
def test_settings_are_real_and_keys_come_only_from_secrets(values: Path | None) -> None:
    assert of_kind(values, "Secret") == []  # the operators create them, never the chart
    [config] = of_kind(values, "ConfigMap")
    assert set(config["data"]) <= SETTINGS - SECRET_SETTINGS | {"OTEL_EXPORTER_OTLP_ENDPOINT"}
    for service, d in deployments(values):
        [container] = d["spec"]["template"]["spec"]["containers"]
        for entry in container["env"]:
            assert entry["name"] in SETTINGS, (service, entry["name"])
            if entry["name"] in SECRET_SETTINGS:
                assert "value" not in entry, entry
                assert "secretKeyRef" in entry["valueFrom"], entry
        resources = container["resources"]
        assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}


def _keys_of(values: Path | None, service: str) -> set[str]:
    [d] = [d for s, d in deployments(values) if s == service]
    [container] = d["spec"]["template"]["spec"]["containers"]
    return {e["name"] for e in container["env"] if "valueFrom" in e} & SECRET_SETTINGS


def test_each_service_gets_only_the_keys_it_uses() -> None:
    assert "JEMPUT_DATA_KEK" not in _keys_of(None, "dashboard")  # it reads what is in clear
    assert "JEMPUT_API_KEYS" not in _keys_of(None, "notification")  # no API
    assert _keys_of(None, "relay") == {
        "JEMPUT_CHAIN_KEY",
        "JEMPUT_CHAIN_OLD_KEYS",
        "JEMPUT_MONGO_URL",
    }


def _policies(values: Path | None) -> dict[str, dict[str, Any]]:
    full = "jemput-jemput"
    return {
        p["metadata"]["name"].removeprefix(full + "-"): p["spec"]
        for p in of_kind(values, "NetworkPolicy")
    }


@pytest.mark.parametrize("values", VALUES, ids=NAMES)
def test_the_network_lets_through_only_what_each_service_needs(values: Path | None) -> None:
    policies = _policies(values)
    deny = policies["deny-all"]
    assert deny["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny
    assert "egress" not in deny
    uses = {s: d["spec"]["template"]["metadata"]["labels"] for s, d in deployments(values)}
    # Every service reaches both (audit's own CLI reads the dead-letter topics); the jobs
    # only what they need (the nightly verify: the store; tested below).
    assert all(labels.get("jemput.io/kafka") for labels in uses.values())
    assert all(labels.get("jemput.io/mongodb") for labels in uses.values())
    for store in ("kafka", "mongodb"):
        selects = policies[f"to-{store}"]["podSelector"]["matchLabels"]
        assert selects[f"jemput.io/{store}"] == "true"
        assert policies[f"to-{store}"]["policyTypes"] == ["Egress"]
    assert (
        policies["notification-channels"]["podSelector"]["matchLabels"][
            "app.kubernetes.io/component"
        ]
        == "notification"
    )
    controller_peers = policies["into-intake"]["ingress"][1]["from"][0]
    for service in uses:
        rules = policies[f"into-{service}"]["ingress"]
        assert rules[0]["ports"] == [{"port": "metrics", "protocol": "TCP"}]
        reached_by_controller = any(controller_peers in r["from"] for r in rules[1:])
        assert reached_by_controller == (service in EXPOSED), service


@pytest.mark.parametrize("values", VALUES, ids=NAMES)
def test_from_outside_only_the_status_and_the_dashboard(values: Path | None) -> None:
    [ingress] = of_kind(values, "Ingress")
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    backends = {p["path"]: p["backend"]["service"]["name"].rsplit("-", 1)[1] for p in paths}
    assert set(backends.values()) == EXPOSED
    assert [p for p, s in backends.items() if s == "intake"] == ["/v1/status/"]
    assert ingress["spec"]["tls"]


def test_traces_go_only_where_the_collector_is() -> None:
    province = EXAMPLES[[p.stem for p in EXAMPLES].index("province")]
    [config] = of_kind(province, "ConfigMap")
    assert config["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":4318")
    assert _policies(province)["to-collector"]["egress"][0]["ports"] == [
        {"port": 4318, "protocol": "TCP"}
    ]
    [default_config] = of_kind(None, "ConfigMap")
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in default_config["data"]  # off: no exporter
    assert "to-collector" not in _policies(None)


def test_the_topic_job_runs_before_the_services_with_the_values_partitions() -> None:
    [job] = of_kind(EXAMPLES[[p.stem for p in EXAMPLES].index("province")], "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "shared.messaging.topics"]
    plan = yaml.safe_load(
        next(e["value"] for e in container["env"] if e["name"] == "JEMPUT_TOPICS")
    )
    topics = {t["name"]: t for t in plan["topics"]}
    assert topics["jemput.events.v1"]["partitions"] == 24
    assert topics["jemput.intake.v1"]["config"] == {"retention.ms": str(24 * 3600 * 1000)}
    assert plan["replication_factor"] == 3
    assert plan["min_insync_replicas"] == 2


def test_consumers_cannot_scale_beyond_the_partitions() -> None:
    done = render(None, "--set", "services.verification.autoscaling.maxReplicas=13")
    assert done.returncode != 0
    assert "above the events topic's partitions" in done.stderr


def test_an_ingress_path_to_an_internal_service_is_refused() -> None:
    done = render(None, "--set", "ingress.paths[0].service=audit")
    assert done.returncode != 0
    assert "not exposed" in done.stderr


def test_the_nightly_verify_runs_the_audit_command_against_the_store() -> None:
    [cron] = of_kind(None, "CronJob")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]
    [container] = pod["spec"]["containers"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert container["command"][0] in scripts
    assert container["command"][1:] == ["verify"]
    assert pod["metadata"]["labels"]["jemput.io/mongodb"] == "true"
    assert "jemput.io/kafka" not in pod["metadata"]["labels"]
    env = {e["name"] for e in container["env"]}
    assert {"JEMPUT_CHAIN_KEY", "JEMPUT_MONGO_URL"} <= env
    assert "JEMPUT_API_KEYS" not in env


@pytest.mark.parametrize("values", VALUES, ids=NAMES)
def test_helm_lint_finds_nothing(values: Path | None) -> None:
    command = [str(helm()), "lint", "--strict", str(CHART), "--kube-version", KUBERNETES]
    command += ["-f", str(values)] if values else []
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
