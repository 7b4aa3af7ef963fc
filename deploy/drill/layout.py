"""Which processes a drill runs, their names and their HTTP ports.

The full drill runs two instances of each consumer of the events topic (verification,
notification, the dashboard: one group each), so that killing instance 0 leaves instance
1 to take over its partitions; intake, audit and the relay run one each, killed and
started again. `--short` (the e2e tier's) keeps the smaller fleet it always ran: its
time budget is the e2e tier's.
"""

from __future__ import annotations

from typing import NamedTuple

PORTS_PER_COMPONENT = 10  # instance k of the component at offset i: base + 10 * i + k


class Service(NamedTuple):
    component: str
    module: str
    instances: int


FULL = (
    Service("relay", "services.relay", 1),
    Service("intake", "services.intake", 1),
    Service("verification", "services.verification", 2),
    Service("notification", "services.notification", 2),
    Service("dashboard", "services.dashboard", 2),
    Service("audit", "services.audit", 1),
)
SHORT = (
    Service("relay", "services.relay", 1),
    Service("intake", "services.intake", 1),
    Service("verification", "services.verification", 1),
    Service("notification", "services.notification", 2),
    Service("audit", "services.audit", 1),
)
# Consumers that read their dead-letter topic from JEMPUT_DEAD_LETTER_TOPIC (intake has
# JEMPUT_INTAKE_DEAD_LETTER_TOPIC, set for every process).
OWN_DEAD_LETTER_TOPIC = ("verification", "notification", "dashboard")
WITH_DEAD_LETTERS = ("intake", *OWN_DEAD_LETTER_TOPIC)


def services(short: bool) -> tuple[Service, ...]:
    return SHORT if short else FULL


def names(fleet: tuple[Service, ...]) -> list[str]:
    """Every process, in start order: `<component>-<k>`."""
    return [f"{s.component}-{k}" for s in fleet for k in range(s.instances)]


def service_of(fleet: tuple[Service, ...], name: str) -> tuple[Service, int]:
    """The service a process name belongs to, and its instance number."""
    component, k = name.rsplit("-", 1)
    for s in fleet:
        if s.component == component and 0 <= int(k) < s.instances:
            return s, int(k)
    raise KeyError(f"{name} is not a process of this drill")


def port_count(fleet: tuple[Service, ...]) -> int:
    """How many consecutive ports the fleet's block takes."""
    if any(s.instances > PORTS_PER_COMPONENT for s in fleet):
        raise ValueError(f"at most {PORTS_PER_COMPONENT} instances of a component")
    return PORTS_PER_COMPONENT * len(fleet)


def port(fleet: tuple[Service, ...], base: int, name: str) -> int:
    service, k = service_of(fleet, name)
    return base + PORTS_PER_COMPONENT * fleet.index(service) + k


def dead_letter_components(fleet: tuple[Service, ...]) -> list[str]:
    """The components that run and have a dead-letter topic (the checker reads each)."""
    return [s.component for s in fleet if s.component in WITH_DEAD_LETTERS]
