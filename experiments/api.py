"""The Python face of the campaign commands, for notebooks and scripts.

Each function mirrors a ``twin`` command and returns pandas DataFrames:

    from experiments import api
    outcome = api.compare("default", ["policies/retry.yaml"], out="out/cmp", reps=10)
    outcome.comparison        # the rows of comparison.csv
    outcome.kpis              # one row per (scenario, policy, point, replication, kpi)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.campaign import CampaignSummary, run_campaign
from experiments.executors import make_executor
from experiments.outputs import write_outputs
from experiments.records import RunRecord
from experiments.sensitivity import analyze_sensitivity
from experiments.spec import (
    ResolvedExperiment,
    load_experiment,
    resolve_experiment,
    validate_spec,
)
from experiments.store import ResultStore
from scenarios import BUILTINS, ScenarioError
from scenarios.safe_yaml import YamlInputError, read_yaml

__all__ = [
    "Outcome",
    "compare",
    "compare_experiment",
    "experiment",
    "report",
    "run",
    "sensitivity",
    "sensitivity_experiment",
]


@dataclass(frozen=True)
class Outcome:
    comparison: pd.DataFrame
    kpis: pd.DataFrame
    summary: CampaignSummary
    report: Path
    sensitivity: pd.DataFrame | None = None


def compare_experiment(
    scenario: str,
    policies: Sequence[str | Path],
    *,
    days: float | None = None,
    reps: int | None = None,
    precision: float | None = None,
    kpis: Sequence[str] = (),
    seed: int = 1,
    pareto: Sequence[str] | None = None,
) -> ResolvedExperiment:
    """The experiment behind ``twin compare``: the scenario is the baseline."""
    names = [Path(p).stem for p in policies]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ScenarioError("--policy", "", f"policy file names must differ: {repeated}")
    replications: Any = reps or 10
    if precision is not None:
        replications = {"until": dict.fromkeys(kpis or ["lockers.overflow_rate"], precision)}
    data = {
        "name": f"compare-{Path(scenario).stem}",
        "scenarios": [_absolute(scenario)],
        "policies": {n: str(Path(p).resolve()) for n, p in zip(names, policies, strict=True)},
        "replications": replications,
        "days": days,
        "seed": seed,
        "pareto": list(pareto) if pareto else None,
    }
    return resolve_experiment(validate_spec(data, "twin compare"), "twin compare")


def sensitivity_experiment(
    scenario: str,
    params: Path,
    kpi: str,
    *,
    method: str = "sobol",
    reps: int = 2,
    days: float | None = None,
    seed: int = 1,
) -> ResolvedExperiment:
    """The experiment behind ``twin sensitivity``: a Sobol or Morris design over params."""
    label = str(params)
    try:
        data = read_yaml(params)
    except YamlInputError as exc:
        raise ScenarioError(label, "", str(exc)) from None
    if not isinstance(data, dict) or "factors" not in data:
        raise ScenarioError(label, "", "expected a mapping with 'factors'")
    unknown = sorted(set(data) - {"factors", "samples", "trajectories", "levels"})
    if unknown:
        raise ScenarioError(label, unknown[0], "unknown field")
    spec = {
        "name": f"sensitivity-{Path(scenario).stem}",
        "scenarios": [_absolute(scenario)],
        "factors": data["factors"],
        "design": {k: v for k, v in data.items() if k != "factors"} | {"kind": method},
        "replications": max(reps, 2),
        "days": days,
        "seed": seed,
        "kpis": [kpi],
    }
    return resolve_experiment(validate_spec(spec, label), label, base_dir=params.parent)


def run(
    resolved: ResolvedExperiment,
    out: str | Path,
    *,
    workers: int | None = None,
    cluster: str | None = None,
    store: str | Path | None = None,
    resume: bool = False,
    show_progress: bool = False,
    sensitivity_kpi: str | None = None,
    on_stored: Callable[[RunRecord], None] | None = None,
) -> Outcome:
    """Run (or resume) a campaign, then write comparison.csv, the report and exports."""
    out = Path(out)
    store_path = Path(store) if store is not None else out / "results.duckdb"
    if store_path.exists() and not resume:
        raise FileExistsError(f"result store {store_path} exists: pass --resume to continue it")
    executor = make_executor(workers or max(1, os.cpu_count() or 1), cluster)
    with executor, ResultStore(store_path) as results:
        summary = run_campaign(
            resolved, results, executor, show_progress=show_progress, on_stored=on_stored
        )
        indices = None
        if sensitivity_kpi is not None:
            spec = resolved.spec
            indices = analyze_sensitivity(
                results.kpis(), spec.factors, spec.design, sensitivity_kpi, spec.seed
            )
        written = write_outputs(results, out, sensitivity=indices)
        frame = results.kpis()
    return Outcome(written.comparison, frame, summary, written.report, indices)


def compare(
    scenario: str, policies: Sequence[str | Path], out: str | Path, **options: Any
) -> Outcome:
    """``twin compare``: options are days, reps, precision, kpis, seed and those of run()."""
    keys = ("days", "reps", "precision", "kpis", "seed", "pareto")
    resolved = compare_experiment(
        scenario, policies, **{k: options.pop(k) for k in keys if k in options}
    )
    return run(resolved, out, **options)


def experiment(path: str | Path, out: str | Path, **options: Any) -> Outcome:
    """``twin experiment``: run an experiment file."""
    return run(load_experiment(Path(path)), out, **options)


def sensitivity(
    scenario: str, params: str | Path, kpi: str, out: str | Path, **options: Any
) -> Outcome:
    """``twin sensitivity``: options are method, reps, days, seed and those of run()."""
    keys = ("method", "reps", "days", "seed")
    resolved = sensitivity_experiment(
        scenario, Path(params), kpi, **{k: options.pop(k) for k in keys if k in options}
    )
    return run(resolved, out, sensitivity_kpi=kpi, **options)


def report(store: str | Path, out: str | Path) -> Path:
    """``twin report``: rewrite the outputs of an existing store."""
    path = Path(store)
    if not path.is_file():
        raise ScenarioError(str(path), "", "no such result store")
    with ResultStore(path) as results:
        return write_outputs(results, Path(out)).report


def _absolute(scenario: str) -> str:
    return scenario if scenario in BUILTINS else str(Path(scenario).resolve())
