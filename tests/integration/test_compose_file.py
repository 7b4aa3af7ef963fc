"""docker-compose.yml as Docker Compose v2 reads it: loaded by compose-go, the loader
`docker compose` itself uses (deploy/compose-check, built by `make tools`), with exactly
the variables the configuration guide's Docker line sets and nothing from this
process's environment."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / ".local" / "bin" / "compose-check"
COMPOSE = ROOT / "docker-compose.yml"
SERVICES = {"kafka", "mongo", "mail", "relay", "intake", "verification"}
SERVICES |= {"notification", "audit", "dashboard", "jaeger"}


def guide_docker_variables() -> set[str]:
    """The JEMPUT_* variables the guide's Docker section sets on its command line."""
    guide = (ROOT / "docs/configuration.md").read_text()
    section = guide.split("## Docker", 1)[1].split("\n#", 1)[0]
    command = re.search(r"```sh\n(.*?)```", section, re.S)
    assert command is not None, "the guide's Docker section has no ```sh block"
    assert "docker compose up" in command[1]
    return set(re.findall(r"\b(JEMPUT_[A-Z_]+)=", command[1]))


def load(variables: set[str]) -> subprocess.CompletedProcess[str]:
    if not CHECKER.exists():
        pytest.fail(f"{CHECKER} is missing: build it with `make tools` (part of `make setup`)")
    env_flags = [
        arg
        for name in sorted(variables)
        for arg in ("-env", f"{name}=test-secret-0123456789abcdef")
    ]
    return subprocess.run(
        [str(CHECKER), *env_flags, str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_guides_docker_line_is_enough_for_compose() -> None:
    done = load(guide_docker_variables())
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) == SERVICES


@pytest.mark.parametrize("missing", ["JEMPUT_CHAIN_KEY", "JEMPUT_PSEUDONYM_KEY", "JEMPUT_DATA_KEK"])
def test_compose_refuses_to_start_without_a_secret(missing: str) -> None:
    done = load(guide_docker_variables() - {missing})
    assert done.returncode == 1
    assert f"required variable {missing} is missing a value" in done.stderr
