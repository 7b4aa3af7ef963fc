"""Every benchmark and the demo, run at a tiny size against the running stack, each in a
database (and, for the pipeline, topics and ports) of its own: a bench that no longer runs
fails here, not on the day someone wants its figures. Nothing here measures anything.

Each runs as people run it (a file or `-m`, the Makefile's command line), in a process of
its own, so that an import the bench alone makes is exercised too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from shared.collections import DASHBOARD_REQUESTS
from shared.settings import InfraSettings

ROOT = Path(__file__).resolve().parents[2]
PORTS = 18500  # this file's range: 18500-18599


def run(args: list[str], timeout: float, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=dict(os.environ) | (env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    return output


@pytest.fixture
def mongo(settings: InfraSettings) -> Iterator[MongoClient[dict[str, object]]]:
    """A plain client: these tests wait on processes, not on an event loop."""
    client: MongoClient[dict[str, object]] = MongoClient(settings.mongo_url)
    yield client
    client.close()


def test_store_ops_prints_a_row_per_command_and_drops_its_database(
    mongo: MongoClient[dict[str, object]],
) -> None:
    db = f"jemput_smoke_ops_{uuid.uuid4().hex[:8]}"
    out = run(["deploy/bench/store_ops.py", "--docs", "20", "--batch", "5", "--db", db], 120)
    rows = [line for line in out.splitlines() if line.startswith("| ") and "ms/doc" not in line]
    assert len(rows) == 8, out
    assert rows[0].startswith("| raw: insert_one")  # the baseline, measured first
    assert db not in mongo.list_database_names()


def test_append_rate_prints_its_three_rows(
    mongo: MongoClient[dict[str, object]],
) -> None:
    db = f"jemput_smoke_append_{uuid.uuid4().hex[:8]}"
    out = run(["deploy/bench/append_rate.py", "--events", "20", "--workers", "2", "--db", db], 120)
    assert "append, 1 writer" in out
    assert "append, 2 writers" in out
    assert "append 10/call" in out
    assert db not in mongo.list_database_names()  # dropped at the end


@pytest.mark.timeout(300)
def test_audit_scan_verifies_digests_rebuilds_and_reads_histories(
    tmp_path: Path, mongo: MongoClient[dict[str, object]]
) -> None:
    db = f"jemput_smoke_audit_{uuid.uuid4().hex[:8]}"
    args = ["deploy/bench/audit_scan.py", "--events", "400", "--samples", "5", "--db", db]
    out = run([*args, "--out-dir", str(tmp_path)], 240)
    assert "rebuild every read model" in out
    [report] = tmp_path.glob("audit-*-400.json")
    result = json.loads(report.read_text())
    assert {p["key"] for p in result["phases"]} >= {"verify", "digest", "rebuild"}
    assert all(p["events"] == 400 for p in result["phases"])
    assert result["history"]["read_stream"]["n"] == 5
    assert sum(result["rebuilt_request_status"].values()) == 100  # one request per applicant
    assert (tmp_path / report.name.replace(".json", ".md")).exists()
    assert db not in mongo.list_database_names()


@pytest.mark.timeout(300)
def test_store_sizes_measures_every_command_at_a_small_size(tmp_path: Path) -> None:
    args = ["deploy/bench/store_sizes.py", "--sizes", "200", "--budget", "2"]
    run([*args, "--out-dir", str(tmp_path)], 240)
    [report] = tmp_path.glob("store-sizes-*.json")
    [result] = json.loads(report.read_text())["results"]
    assert result["size"] == 200
    assert {"find_one", "insert_one", "delete_one"} <= result["measurements"].keys()


@pytest.mark.timeout(420)
def test_pipeline_bench_carries_requests_from_http_to_email(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    topics = f"smoke.{uuid.uuid4().hex[:8]}"
    env = {
        "JEMPUT_EVENTS_TOPIC": f"{topics}.events",
        "JEMPUT_KAFKA_GROUP_PREFIX": topics,
        "JEMPUT_INTAKE_TOPIC": f"{topics}.intake",
        "JEMPUT_INTAKE_DEAD_LETTER_TOPIC": f"{topics}.intake.dlq",
        "JEMPUT_STATE_DIR": str(tmp_path / "state"),
        "JEMPUT_LOG_LEVEL": "WARNING",
    }
    args = ["-m", "deploy.bench.pipeline", "--rates", "2", "--step-seconds", "3"]
    args += ["--warmup", "2", "--ceiling-docs", "100", "--drain-timeout", "120"]
    args += ["--http-port-base", str(PORTS + 10), "--http-port-step", "10"]
    run([*args, "--out", str(tmp_path)], 400, env)
    [report] = tmp_path.glob("pipeline-*.json")
    [step] = json.loads(report.read_text())["steps"]
    assert step["accepted"] == step["sent"] > 0
    assert step["emailed"] == step["accepted"]


@pytest.mark.timeout(180)
def test_demo_fills_its_database_and_takes_the_screenshot(
    tmp_path: Path, mongo: MongoClient[dict[str, object]]
) -> None:
    db = f"jemput_smoke_demo_{uuid.uuid4().hex[:8]}"
    shot = tmp_path / "dashboard.png"
    args = ["deploy/demo/dashboard_demo.py", "--requests", "60", "--db", db]
    try:
        run([*args, "--screenshot", str(shot), "--port", str(PORTS + 90)], 150)
        assert mongo[db][DASHBOARD_REQUESTS].count_documents({}) == 60
        assert shot.stat().st_size > 10_000  # a page was drawn, not an empty file
    finally:
        mongo.drop_database(db)
