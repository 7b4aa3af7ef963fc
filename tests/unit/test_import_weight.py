"""What a module pulls in when imported: in-memory users of the event store need no
MongoDB driver, and the settings need no web framework. Each check runs in a clean
interpreter, since this one has long since imported everything."""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_after(code: str, candidates: tuple[str, ...]) -> list[str]:
    """Which of `candidates` are in sys.modules after running `code`, and only it."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {candidates!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("shared.eventstore", ("pymongo", "fastapi", "faststream")),
        ("shared.eventstore.store", ("pymongo", "fastapi", "faststream")),
        ("shared.settings", ("fastapi", "pymongo", "faststream")),
    ],
)
def test_importing_does_not_load(module: str, absent: tuple[str, ...]) -> None:
    assert loaded_after(f"import {module}", absent) == []


def test_the_mongo_recorder_is_still_importable_from_the_package() -> None:
    code = "import shared.eventstore\nshared.eventstore.MongoRecorder"
    assert loaded_after(code, ("pymongo",)) == ["pymongo"]
