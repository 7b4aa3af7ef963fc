"""Which code may import which: services never import each other (they talk through
Kafka), shared code never imports a service, and the domain stays plain Python."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").is_file())
INFRASTRUCTURE = ("pymongo", "motor", "faststream", "aiokafka", "fastapi", "starlette", "httpx")


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = [s for s in SERVICES if s != service]
    wrong = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "services" / service).rglob("*.py")
        for module in imported_modules(path)
        if any(module == f"services.{o}" or module.startswith(f"services.{o}.") for o in others)
    }
    assert not wrong, sorted(wrong)


def test_shared_code_imports_no_service() -> None:
    wrong = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "shared").rglob("*.py")
        for module in imported_modules(path)
        if module == "services" or module.startswith("services.")
    }
    assert not wrong, sorted(wrong)


def test_the_domain_loads_no_infrastructure_even_indirectly() -> None:
    modules = [
        f"shared.domain.{p.stem}"
        for p in (ROOT / "shared/domain").glob("*.py")
        if p.stem != "__init__"
    ]
    script = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    )
    assert len(modules) > 5  # the check ran over the domain, not over nothing
    wrong = [m for m in loaded if m.split(".")[0] in INFRASTRUCTURE]
    assert not wrong, wrong
