"""The capacity plan (docs/capacity.md) is what deploy/capacity/plan.py computes from the
latest results in docs/bench/, and it follows the figures: a costlier service gets more
pods, every consumer a partition."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def plan_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plan", ROOT / "deploy/capacity/plan.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["plan"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


plan = plan_module()


def test_the_document_says_what_the_script_computes() -> None:
    doc = (ROOT / "docs/capacity.md").read_text()
    block = doc.split(plan.BEGIN, 1)[1].split(plan.END, 1)[0].strip()
    assert block == plan.tables(plan.measured()).strip()


def test_more_load_never_needs_fewer_and_every_consumer_has_a_partition() -> None:
    figures = plan.measured()
    rows = [plan.row(figures, scale) for scale in plan.SCALES]
    for service in ("intake", "verification", "notification"):
        counts = [int(r[service]) for r in rows]
        assert counts == sorted(counts), service
        assert counts[0] >= plan.MIN_PODS
    for r in rows:
        assert int(r["partitions"]) >= max(int(r["verification"]), int(r["notification"]))
    assert [int(r["shards"]) for r in rows] == sorted(int(r["shards"]) for r in rows)


def test_the_plan_follows_the_measured_figures(tmp_path: Path) -> None:
    for path in (ROOT / "docs/bench").glob("*.json"):
        shutil.copy(path, tmp_path)
    before = plan.measured(tmp_path)
    latest, _ = plan.design_run(tmp_path)
    run = json.loads(latest.read_text())
    for step in run["steps"]:
        step["cpu"]["intake"]["ms_per_request"] *= 4
    latest.write_text(json.dumps(run))
    after = plan.measured(tmp_path)
    assert after.cpu_ms["intake"] == 4 * before.cpu_ms["intake"]
    national = plan.SCALES[2]
    assert int(plan.row(after, national)["intake"]) > int(plan.row(before, national)["intake"])
