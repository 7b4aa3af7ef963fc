"""A decision explained: the recorded rule set re-run on the recorded inputs, rule by rule,
and what today's rule set would decide."""

from __future__ import annotations

from pydantic import BaseModel

from shared.domain.calendar import local_date
from shared.domain.events import Decision, RuleOutcome, registry
from shared.domain.regions import RegionTable
from shared.domain.rules import Context, RuleSet, decide
from shared.event_schema import RecordedEvent
from shared.repositories.histories import history_of
from shared.rulesets import load_rule_set


class Explanation(BaseModel):
    decision_event_id: str
    decided: str  # the recorded decision's type
    rule_set_id: str
    region_table: str
    judged_on: str  # the date the rules judged the request on (as the device dated it)
    received_on: str  # the day it reached the log
    recorded: list[RuleOutcome]
    replayed: list[RuleOutcome]
    replay_matches: bool
    today_rule_set_id: str
    today: str  # what today's rules decide on the same inputs
    today_outcomes: list[RuleOutcome]


def explain(
    records: list[RecordedEvent], request_id: str, current: RuleSet, regions: RegionTable
) -> list[Explanation]:
    by_id = {r.event_id: r for r in records}
    explanations = []
    for index, record in enumerate(records):
        event = registry.load(record)
        if not isinstance(event, Decision) or event.request_id != request_id:
            continue
        # The inputs: the history just before the decision, judged on the cause's date.
        before = records[:index]
        history = history_of(before)
        cause = by_id.get(record.causation_id or "", record)
        on = local_date(cause.occurred_at)
        received = local_date(cause.recorded_at)
        request = history.request(request_id)
        recorded_rules = load_rule_set(event.rule_set_id)
        replayed = decide(Context(request, history, on, recorded_rules, regions, received))
        today = decide(Context(request, history, on, current, regions, received))
        explanations.append(
            Explanation(
                decision_event_id=record.event_id,
                decided=event.event_type,
                rule_set_id=event.rule_set_id,
                region_table=event.region_table,
                judged_on=on.isoformat(),
                received_on=received.isoformat(),
                recorded=list(event.outcomes),
                replayed=list(replayed.outcomes),
                replay_matches=(
                    type(replayed) is type(event) and replayed.outcomes == event.outcomes
                ),
                today_rule_set_id=current.id,
                today=today.event_type,
                today_outcomes=list(today.outcomes),
            )
        )
    return explanations
