"""What every asyncio task awaits, printed shortly before pytest-timeout fails a test.

pytest-timeout dumps the threads' stacks, and with the one event loop the session shares
(pyproject: loop scope "session") all it shows is the loop waiting in `select`. A hung
test is a coroutine awaiting something: this prints each task's stack, so the failure
report says which await it was."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

MARGIN_SECONDS = 10.0  # before pytest-timeout's own report
_loop: asyncio.AbstractEventLoop | None = None


@pytest.fixture(scope="session", autouse=True)
async def _remember_the_loop() -> AsyncIterator[None]:
    global _loop
    _loop = asyncio.get_running_loop()
    yield
    _loop = None


def awaiting(coroutine: object) -> list[str]:
    """Where a suspended coroutine waits, outermost first: Task.print_stack shows only
    the outermost frame of a suspended coroutine, this follows what each one awaits."""
    lines = []
    while coroutine is not None:
        frame = next(
            (f for a in ("cr_frame", "gi_frame", "ag_frame") if (f := getattr(coroutine, a, None))),
            None,
        )
        if frame is not None:
            code = frame.f_code
            lines.append(f"  {code.co_filename}:{frame.f_lineno} in {code.co_name}")
        coroutine = next(
            (
                c
                for a in ("cr_await", "gi_yieldfrom", "ag_await")
                if (c := getattr(coroutine, a, None))
            ),
            None,
        )
    return lines


def _print_tasks(test: str) -> None:
    tasks = asyncio.all_tasks()
    report = [f"+++ {len(tasks)} asyncio tasks while {test} runs out of time +++"]
    for task in tasks:
        report += [f"--- {task.get_name()}", *awaiting(task.get_coro())]
    print("\n".join(report), file=sys.stderr)


def _timeout(item: pytest.Item) -> float:
    marker = item.get_closest_marker("timeout")
    if marker is not None and marker.args:
        return float(marker.args[0])
    return float(item.config.getini("timeout") or 0)


@pytest.fixture(autouse=True)
def _report_hung_tasks(request: pytest.FixtureRequest) -> Iterator[None]:
    timeout = _timeout(request.node)
    if timeout <= MARGIN_SECONDS:
        yield
        return

    def report() -> None:
        loop = _loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(_print_tasks, request.node.nodeid)

    timer = threading.Timer(timeout - MARGIN_SECONDS, report)
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()
