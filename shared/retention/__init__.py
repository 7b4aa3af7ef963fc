"""Retention policies, as versioned data: one JSON file per version, never edited once
events were sealed under it (each event names the policy it was sealed under)."""

from __future__ import annotations

import json
from pathlib import Path

from shared.privacy.policy import RetentionPolicy

FOLDER = Path(__file__).parent


def policy_ids() -> tuple[str, ...]:
    """Every policy that ever sealed events, oldest first (ids sort by their date)."""
    return tuple(sorted(path.stem for path in FOLDER.glob("*.json")))


def load_policy(policy_id: str) -> RetentionPolicy:
    path = FOLDER / f"{policy_id}.json"
    if not path.is_file() or path.parent != FOLDER:  # an id is a name, never a path
        raise LookupError(f"no retention policy {policy_id!r}")
    policy = RetentionPolicy.model_validate(json.loads(path.read_text()))
    if policy.id != policy_id:
        raise ValueError(f"{path.name} names itself {policy.id!r}")
    return policy
