"""The rule sets, as versioned data: one JSON file per version, never edited once decisions
were made under it (they stay explainable by it); a change is a new file."""

from __future__ import annotations

import json
from pathlib import Path

from shared.domain.rules import RuleSet

FOLDER = Path(__file__).parent


def load_rule_set(rule_set_id: str) -> RuleSet:
    path = FOLDER / f"{rule_set_id}.json"
    if not path.is_file() or path.parent != FOLDER:  # an id is a name, never a path
        raise LookupError(f"no rule set {rule_set_id!r}")
    return RuleSet.model_validate(json.loads(path.read_text()))
