"""`make drill` / `python deploy/drill`: options, the run, the verdict (exit 1 on violations)."""

from __future__ import annotations

import argparse
import asyncio
import platform
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from .report import publish, table
from .run import Drill, Options
from .stack import REPO

# Half of what `make bench-pipeline` sustained end to end on the reference machine (two
# cores: ~70 emailed/s, docs/bench/pipeline-2026-11-30.md, one instance of each service,
# no dashboard), rounded down: on the same two cores the full drill adds a second Kafka
# and FerretDB, the dashboard (a third group reading every event and writing its rows)
# and a second instance of verification, notification and the dashboard (layout.py).
DEFAULT_RATE = 30.0


def parse(argv: list[str]) -> Options:
    p = argparse.ArgumentParser(prog="drill", description=(__doc__ or "").split("\n", 1)[0])
    p.add_argument("--rate", type=float, default=DEFAULT_RATE, help="steady requests/s")
    p.add_argument("--short", action="store_true", help="the e2e tier's four faults")
    p.add_argument("--scale", type=float, default=1.0, help="outage lengths x this")
    p.add_argument("--settle", type=float, default=15.0, help="steady seconds after each fault")
    p.add_argument("--catch-up-limit", type=float, default=180.0, help="seconds to catch up")
    p.add_argument("--timeout", type=float, default=10.0, help="client timeout, seconds")
    p.add_argument("--kafka", help="use this Kafka (no Kafka faults) instead of the drill's own")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "drills", help="results folder")
    p.add_argument("--state", type=Path, help="where state and logs go (default: JEMPUT_STATE_DIR)")
    a = p.parse_args(argv)
    return Options(
        a.rate, a.short, a.scale, a.settle, a.catch_up_limit, a.timeout, a.kafka, a.out, a.state
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = parse(argv)
    drill = Drill(options)
    started = time.monotonic()
    check = asyncio.run(drill.run())
    result = {
        "run_id": drill.run_id,
        "date": datetime.now(UTC).date().isoformat(),
        "command": shlex.join(["make", "drill", *(["ARGS=" + shlex.join(argv)] if argv else [])]),
        "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
        "rate": options.rate,
        "short": options.short,
        "scale": options.scale,
        "minutes": (time.monotonic() - started) / 60,
        "check": check,
    }
    print(table(check["faults"]))
    for line in check["violations"]:
        print(f"drill: VIOLATION {line}")
    stem = f"drill-{result['date']}" + ("-short" if options.short else "")
    publish(result, options.out, stem)
    return 1 if check["violations"] else 0
