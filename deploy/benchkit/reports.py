"""A run's results, written as `<stem>.json` (everything) and `<stem>.md` (for people)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any


def write_report(folder: Path, stem: str, result: Any, markdown: str) -> Path:
    """Write both files; returns folder/stem (without a suffix) for the caller to name."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stem
    path.with_name(f"{stem}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    path.with_name(f"{stem}.md").write_text(markdown)
    return path


def text_or_empty(path: Path) -> str:
    """A file another process writes, as far as it exists yet ("" before it does)."""
    with contextlib.suppress(OSError):
        return path.read_text()
    return ""
