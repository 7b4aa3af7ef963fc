"""The alert rules (deploy/prometheus/alerts.yml): valid (`promtool check rules`), each
firing on its story and not on its near miss (`promtool test rules alerts.test.yml`), each
about metrics jemput really exports, each with a runbook in docs/operations.md.

Needs promtool, which `make setup` builds (deploy/tools/build.sh); without it the tests
fail, saying so."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus"
RUNBOOKS = ROOT / "docs/operations.md"
FROM_KUBERNETES = {"kube_job_status_failed"}  # kube-state-metrics


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    state = Path(os.environ.get("JEMPUT_STATE_DIR") or ROOT / ".local")
    path = state / "bin" / "promtool"
    if not path.exists():
        pytest.fail(f"no promtool at {path}: run `make setup` (deploy/tools/build.sh promtool)")
    return subprocess.run(
        [str(path), *args], cwd=RULES, capture_output=True, text=True, timeout=120, check=False
    )


def alerts() -> list[dict[str, Any]]:
    spec = yaml.safe_load((RULES / "alerts.yml").read_text())
    return [rule for group in spec["groups"] for rule in group["rules"]]


def test_the_rules_are_valid() -> None:
    done = promtool("check", "rules", "alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_alert_fires_on_its_story_and_not_on_its_near_miss() -> None:
    done = promtool("test", "rules", "alerts.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_is_unit_tested() -> None:
    tests = yaml.safe_load((RULES / "alerts.test.yml").read_text())["tests"]
    tested = {case["alertname"] for test in tests for case in test["alert_rule_test"]}
    assert tested == {rule["alert"] for rule in alerts()}


def test_every_alert_is_about_metrics_jemput_exports() -> None:
    code = "\n".join(
        p.read_text() for folder in ("shared", "services") for p in (ROOT / folder).rglob("*.py")
    )
    for rule in alerts():
        for metric in set(re.findall(r"\b([a-z_]+)(?=[{\[)\s])", rule["expr"])):
            if not metric.startswith(("jemput_", "kube_")):
                continue  # PromQL's own words: sum, by, rate, offset…
            base = re.sub(r"_(bucket|count|sum)$", "", metric)
            assert metric in FROM_KUBERNETES or f'"{base}"' in code, (rule["alert"], metric)


def test_every_alert_has_a_runbook_that_says_what_to_do() -> None:
    text = RUNBOOKS.read_text()
    sections = dict(
        re.findall(r"^### (Jemput\w+)\n(.*?)(?=^### |^## |\Z)", text, re.DOTALL | re.MULTILINE)
    )
    for rule in alerts():
        name = rule["alert"]
        assert rule["annotations"]["runbook_url"] == f"docs/operations.md#{name.lower()}"
        assert name in sections, f"no runbook section '### {name}' in {RUNBOOKS.name}"
        for part in ("What it means", "What to look at", "What to do"):
            assert f"**{part}**" in sections[name], (name, part)
