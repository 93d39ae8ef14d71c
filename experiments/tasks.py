"""Tasks: one replication to run, and the worker function that runs a batch of them.

A task carries its validated ``Scenario`` (picklable), so workers on other machines need
no files. Seeds: replication r uses seed ``base_seed + r`` in every cell, so policies and
design points are compared under common random numbers (the named streams make the
same parcels and residents appear in every cell).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from experiments.records import RunRecord
from scenarios import Scenario, build_model, scenario_hash
from twin import DAY, simulate

__all__ = ["Task", "code_version", "make_run_id", "run_batch", "run_task"]


@dataclass(frozen=True)
class Task:
    run_id: str
    campaign: str
    scenario_label: str
    policy: str
    point: int
    replication: int
    seed: int
    factors: dict[str, Any]
    scenario: Scenario
    warmup_days: float
    code_version: str
    keep_series: bool = True


def make_run_id(
    campaign: str, scenario_label: str, policy: str, point: int, scenario: Scenario,
    seed: int, warmup_days: float,
) -> str:  # fmt: skip
    """Deterministic id from everything that defines the run."""
    key = json.dumps(
        [campaign, scenario_label, policy, point, scenario_hash(scenario), seed, warmup_days],
        sort_keys=True,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def run_task(task: Task) -> RunRecord:
    warmup = task.warmup_days * DAY
    result = simulate(
        build_model(task.scenario),
        seed=task.seed,
        horizon=task.scenario.days * DAY + warmup,
        warmup=warmup,
        provenance={
            "scenario_hash": scenario_hash(task.scenario),
            "code_version": task.code_version,
        },
    )
    return RunRecord(
        run_id=task.run_id,
        campaign=task.campaign,
        scenario=task.scenario_label,
        policy=task.policy,
        point=task.point,
        replication=task.replication,
        seed=task.seed,
        factors=task.factors,
        kpis=dict(result.kpis),
        series=result.series.copy() if task.keep_series else result.series.iloc[:0].copy(),
        provenance=dict(result.provenance),
    )


def run_batch(batch: list[Task]) -> list[RunRecord]:
    """Worker entry point: run a batch of tasks (batched so each call lasts ~1 s or more)."""
    return [run_task(task) for task in batch]


@cache
def code_version() -> str:
    """The git commit of the code (with '+dirty' for local changes), or 'unknown'."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here, capture_output=True, text=True, timeout=5,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
