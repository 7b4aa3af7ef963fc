"""Who did each thing, as the readable history names them: an erasure by the auditor who
approved it (it read "system")."""

from __future__ import annotations

from services.audit.replay import actor
from shared.domain.events import PersonalDataErased


def test_an_erasure_is_by_whoever_approved_it() -> None:
    erased = PersonalDataErased(
        classes=("contact",),
        key_refs=("k",),
        case_reference="INSP-1",
        erased_by="auditor-dev",
        reason="asked by the applicant",
        clear_events=0,
    )
    assert actor(erased) == "auditor-dev"
