"""Command line: what to run, and the run from start to finish (see __init__ for the why)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from .budget import parse_budget
from .run import Bench, Options


def rates(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("rates are numbers separated by commas") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError("rates must be positive")
    return values


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="bench-pipeline",
        description="Open-loop end-to-end benchmark: HTTP in, decision on Kafka, email out.",
    )
    add = parser.add_argument
    add("--rates", type=rates, default=[25, 50, 100, 200, 400], help="offered requests/s per step")
    add("--step-seconds", type=float, default=60, help="how long each step sends")
    add("--only-rate", type=float, help="run one step at this rate (instead of --rates)")
    add("--timeout", type=float, default=30, help="seconds per request before it counts as lost")
    add("--drain-timeout", type=float, default=120, help="most seconds to wait between steps")
    add("--warmup", type=int, default=20, help="requests sent (and drained) before the steps")
    add("--instances", type=int, default=1, help="processes of intake, verification, notification")
    add("--relays", type=int, default=1, help="relay processes (more than 1 publishes repeats)")
    add(
        "--http-port-base",
        type=int,
        default=18001,
        help="intake base+i, verification +step+i, notification +2*step+i, relay +3*step+i",
    )
    add("--http-port-step", type=int, default=100, help="ports between components (see above)")
    add("--connections", type=int, default=1000, help="HTTP keep-alive pool size (all instances)")
    add("--fill", type=int, default=0, help="valid stored events to preload, e.g. 1000000")
    add("--fill-batch", type=int, default=1000, help="events per insert_many while filling")
    add("--fill-in-flight", type=int, default=4, help="insert_many calls in flight while filling")
    add("--ceiling-docs", type=int, default=20000, help="documents for the raw ceiling (0: skip)")
    add("--log-level", default=None, help="JEMPUT_LOG_LEVEL for the services (default: as set)")
    add("--ready-timeout", type=float, default=90, help="seconds for every process to get ready")
    add("--out", default=None, help="folder for the JSON, Markdown and PNG (docs/bench)")
    add("--keep", action="store_true", help="keep the run's database")
    add(
        "--budget",
        type=parse_budget,
        default=None,
        help="CPU ms per request to fail over: 20 (all processes) or total=20,intake=5",
    )
    add("--partitions", type=int, default=4, help="of the run's own events topic")
    add("--profile", type=float, default=None, help="py-spy every jemput process at this rate")
    args = parser.parse_args(argv)
    if args.instances < 1 or args.relays < 0:
        parser.error("--instances must be 1 or more, --relays 0 or more")
    if args.profile is not None and args.profile not in (
        [args.only_rate] if args.only_rate else args.rates
    ):
        parser.error("--profile must be one of the steps' rates")
    if args.http_port_step < max(args.instances, args.relays):
        parser.error("--http-port-step must leave a port for every instance")
    return Options(
        rates=[args.only_rate] if args.only_rate else args.rates,
        only_rate=args.only_rate is not None,
        step_seconds=args.step_seconds,
        timeout=args.timeout,
        drain_timeout=args.drain_timeout,
        warmup=args.warmup,
        instances=args.instances,
        relays=args.relays,
        http_port_base=args.http_port_base,
        http_port_step=args.http_port_step,
        connections=args.connections,
        fill=args.fill,
        fill_batch=args.fill_batch,
        fill_in_flight=args.fill_in_flight,
        ceiling_docs=args.ceiling_docs,
        log_level=args.log_level,
        ready_timeout=args.ready_timeout,
        out=args.out,
        keep=args.keep,
        partitions=args.partitions,
        budget=args.budget,
        profile_rate=args.profile,
    )


async def _main(options: Options) -> int:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await Bench(options).run()


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    try:
        return asyncio.run(_main(options))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench: interrupted; everything it started is stopped")
        return 130
    except RuntimeError as exc:  # a process would not start, the pipeline did not deliver, …
        print(f"bench: ERROR: {exc}", file=sys.stderr)
        return 1
