"""The README, the configuration guide and docker-compose.yml say what the code does: same
settings, same names."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import yaml

from services.audit.settings import AuditSettings
from services.dashboard.settings import DashboardSettings
from services.intake.settings import IntakeSettings
from services.notification.settings import NotificationSettings
from services.relay.settings import RelaySettings
from services.verification.settings import VerificationSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {
    f"JEMPUT_{name.upper()}"
    for settings in (
        IntakeSettings,
        VerificationSettings,
        NotificationSettings,
        AuditSettings,
        DashboardSettings,
        RelaySettings,
    )
    for name in settings.model_fields
}


CONFIGURATION = ROOT / "docs/configuration.md"


def test_the_configuration_guide_documents_every_setting_and_no_other() -> None:
    guide = CONFIGURATION.read_text()
    table = guide.split("## Settings", 1)[1].split("The local stack reads", 1)[0]
    documented = set(re.findall(r"`(JEMPUT_[A-Z_]+)`", table))
    assert documented == SETTINGS


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert "make run" in first_block
    assert "make test" in first_block


def test_stack_variables_in_the_guide_are_the_ones_stack_sh_reads() -> None:
    guide = CONFIGURATION.read_text()
    listed = set(re.findall(r"`(JEMPUT_[A-Z_]+)`", guide.split("The local stack reads", 1)[1]))
    script = (ROOT / "deploy/local/stack.sh").read_text()
    read = set(re.findall(r"\$\{(JEMPUT_[A-Z_]+):-", script))
    assert listed >= read


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_uses_the_settings_names_and_real_images() -> None:
    spec = compose()
    services: dict[str, Any] = spec["services"]
    assert {
        "kafka",
        "mongo",
        "relay",
        "intake",
        "verification",
        "notification",
        "audit",
        "dashboard",
    } <= services.keys()
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        env_names = {k for k in service.get("environment", {}) if k.startswith("JEMPUT_")}
        assert env_names <= SETTINGS, f"{name}: {env_names - SETTINGS}"
        build = service.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).is_file()
    assert "--replSet" in services["mongo"]["command"]  # MongoDB as in production


def _budget(name: str) -> Any:
    """A budget of tests/e2e/test_command_budget.py, read from its source (not imported:
    it would start nothing, but it loads the whole pipeline)."""
    tree = ast.parse((ROOT / "tests/e2e/test_command_budget.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise LookupError(name)


def test_the_documents_give_the_command_budget_the_test_holds() -> None:
    alone = sum(_budget("BUDGET_ALONE").values())
    readme = (ROOT / "README.md").read_text()
    adr = (ROOT / "docs/adr/0003-event-store-layout.md").read_text()
    said = re.findall(r"(\d+) store commands for a request on its own", readme)
    assert said, "the README gives the commands per request"
    assert {int(n) for n in said} == {alone}
    assert re.findall(r"\*\*69 before, (\d+) after\*\* when it arrives alone", adr) == [str(alone)]
    together = _budget("BUDGET_TOGETHER")
    assert f"at most {together:g} per request when requests arrive together" in readme


def test_the_guides_docker_line_sets_every_secret_compose_requires() -> None:
    required = set(
        re.findall(r"\$\{(JEMPUT_[A-Z_]+):\?", (ROOT / "docker-compose.yml").read_text())
    )
    guide = CONFIGURATION.read_text()
    docker = guide.split("## Docker", 1)[1].split("\n## ", 1)[0]
    line = docker[: docker.index("docker compose up")]
    assert required, "compose requires the secrets"
    assert set(re.findall(r"(JEMPUT_[A-Z_]+)=", line)) >= required
