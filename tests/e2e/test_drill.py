"""The short drill, in the e2e tier: one notification instance killed mid-batch (the other
goes on), the store stopped, SMTP and SMS away, poison and forged messages on the topics,
under steady load; the checker must find nothing lost, nothing doubled, nothing sent that
should not be, no dead letter but the poison's (with the reasons it must be given), a
verifying store (deploy/drill)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_short_drill_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    # Its own FerretDB (stopped by the drill); the stack's Kafka, on topics of its own.
    command = [sys.executable, str(ROOT / "deploy" / "drill"), "--short", "--rate", "8"]
    command += ["--settle", "5", "--scale", "0.5", "--catch-up-limit", "90"]
    command += ["--kafka", kafka_bootstrap, "--out", str(tmp_path), "--state", str(tmp_path)]
    drill = subprocess.Popen(
        command, cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        output, _ = drill.communicate(timeout=480)
    except subprocess.TimeoutExpired:
        drill.send_signal(signal.SIGINT)  # the drill stops what it started, then exits
        output, _ = drill.communicate(timeout=60)
    text = output.decode(errors="replace")
    assert drill.returncode == 0, text[-4000:]
    [results] = tmp_path.glob("drill-*-short.json")
    check = json.loads(results.read_text())["check"]
    assert check["violations"] == []
    assert [row["fault"] for row in check["faults"]] == [
        "kill -9 notification-0",
        "ferretdb stopped 7.5 s",
        "SMTP + SMS down 10 s",
        "poison and forged messages 5 s",
    ]
    store = check["store"]
    assert store["accepted"] == store["requests_sent"] > 0
    assert store["lost"] == store["stored_twice"] == store["event_ids_twice"] == 0
    assert check["email"]["repeats"] == 0
    assert check["verify"]["ok"]
    assert check["digest_still_checks"]
    # The poison reached every consumer, which dead-lettered it (with the reasons the
    # checker allows: anything else is a violation above) and went on.
    assert check["poison_sent"]["forged_withdrawal"] > 0
    assert all(sum(reasons.values()) > 0 for reasons in check["dead_letters"].values())
    # The store was really away: intake refused (503) while it was, and never answered 500.
    assert check["faults"][1]["refused"] > 0
    assert "server_error" not in check["answers"]
