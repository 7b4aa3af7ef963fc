"""The rule sets, as versioned data: one JSON file per version, never edited once decisions
were made under it (they stay explainable by it); a change is a new file.

Each version has its applicants' sentences beside it (`messages/<id>.json`): what each
reason means and what to do, in Bahasa Indonesia and English, told in the words of the
rule set that decided."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from shared.domain.messages import ReasonTexts
from shared.domain.rules import RuleSet

FOLDER = Path(__file__).parent
MESSAGES = FOLDER / "messages"


def _file(folder: Path, rule_set_id: str) -> Path:
    path = folder / f"{rule_set_id}.json"
    if not path.is_file() or path.parent != folder:  # an id is a name, never a path
        raise LookupError(f"no rule set {rule_set_id!r}")
    return path


def newest_rule_set_id() -> str:
    """The newest rule set's id (ids end in their year and month: they sort by age)."""
    return max(path.stem for path in MESSAGES.glob("*.json"))


def load_rule_set(rule_set_id: str) -> RuleSet:
    return RuleSet.model_validate(json.loads(_file(FOLDER, rule_set_id).read_text()))


@functools.cache
def load_reason_texts(rule_set_id: str) -> ReasonTexts:
    """The rule set's sentences, with its numbers (e.g. the e-KTP age) to fill them in."""
    texts = ReasonTexts.model_validate(json.loads(_file(MESSAGES, rule_set_id).read_text()))
    if texts.rule_set_id != rule_set_id:
        raise LookupError(f"messages for {texts.rule_set_id!r} filed as {rule_set_id!r}")
    values = load_rule_set(rule_set_id).model_dump(mode="json")
    return texts.model_copy(update={"values": values})
