"""deploy/benchkit: what the benchmarks and the drill share (percentiles, a process's CPU
and memory, the machine, reports)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.benchkit.machine import machine
from deploy.benchkit.percentiles import latency_ms, percentile, spread_ms
from deploy.benchkit.process import cmdline, cpu_seconds, memory_kib
from deploy.benchkit.reports import text_or_empty, write_report


def test_percentiles_interpolate_between_samples() -> None:
    hundred = [float(n) for n in range(1, 101)]
    assert percentile(hundred, 50) == pytest.approx(50.5)
    assert percentile(hundred, 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


@pytest.mark.parametrize("p", [0, 100, 99.9])
def test_a_percentile_outside_1_to_99_is_refused(p: float) -> None:
    with pytest.raises(ValueError, match="whole number from 1 to 99"):
        percentile([1.0, 2.0], p)


def test_latency_and_spread_summaries() -> None:
    summary = latency_ms([1.0, 2.0, 3.0])
    assert (summary["n"], summary["p50_ms"], summary["max_ms"], summary["mean_ms"]) == (
        3,
        2.0,
        3.0,
        2.0,
    )
    assert latency_ms([]) == {"n": 0}
    assert spread_ms([0.1, 0.3]) == {"p50": 200.0, "p95": 290.0, "p99": 298.0, "max": 300.0}
    assert spread_ms([]) == {"p50": None, "p95": None, "p99": None, "max": None}


def test_a_process_cpu_and_memory_and_none_for_one_that_is_gone() -> None:
    assert (cpu_seconds(os.getpid()) or 0.0) > 0.0
    assert memory_kib(os.getpid())["VmRSS"] > 1000
    assert "python" in (cmdline(os.getpid()) or "")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(gone.stdout)  # exited and reaped: no such process any more
    assert (cpu_seconds(pid), memory_kib(pid), cmdline(pid)) == (None, {}, None)
    assert (cpu_seconds(None), memory_kib(None)) == (None, {})


def test_machine_names_cpus_memory_and_versions() -> None:
    found = machine()
    assert found["nproc"] >= 1
    assert found["memory_gib"] > 0
    assert {"cpu_model", "kernel", "python", "pymongo"} <= found.keys()


def test_a_report_is_written_as_json_and_markdown(tmp_path: Path) -> None:
    stem = write_report(tmp_path / "out", "run-1", {"rate": 1.5}, "# Run 1\n")
    assert json.loads(stem.with_name("run-1.json").read_text()) == {"rate": 1.5}
    assert stem.with_name("run-1.md").read_text() == "# Run 1\n"
    assert text_or_empty(tmp_path / "missing") == ""
