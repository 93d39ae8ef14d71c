"""From a result store to the files a person reads: comparison CSV, verdicts, report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.analysis import compare, verdicts
from experiments.report import write_report
from experiments.spec import BASELINE
from experiments.store import ResultStore

__all__ = ["COMPARISON_COLUMNS", "write_outputs"]

COMPARISON_COLUMNS = [
    "kpi",
    "policy",
    "reps",
    "mean",
    "ci_low",
    "ci_high",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
]


def write_outputs(
    store: ResultStore,
    out: Path,
    *,
    sensitivity: pd.DataFrame | None = None,
    extra_meta: Mapping[str, Any] | None = None,
) -> Path:
    """Write comparison.csv, kpis.csv, the HTML report and Parquet/CSV exports into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    frame = store.kpis()
    if frame.empty:
        raise ValueError(f"the store {store.path} holds no finished replication")
    experiment = store.get_meta("experiment", {})
    units: dict[str, str] = store.get_meta("kpi_units", {})
    descriptions: dict[str, str] = store.get_meta("kpi_descriptions", {})
    wanted = experiment.get("kpis") or store.get_meta("kpi_order") or sorted(frame["kpi"].unique())
    frame = frame[frame["kpi"].isin(wanted)]
    order = {name: i for i, name in enumerate(store.get_meta("policies", [BASELINE]))}
    several = frame["scenario"].nunique() > 1 or frame["point"].nunique() > 1
    comparison = compare(frame, baseline=BASELINE, keep_keys=several)
    comparison = _ordered(comparison, wanted, order)
    comparison.to_csv(out / "comparison.csv", index=False)
    frame.drop(columns=["run_id"]).to_csv(out / "kpis.csv", index=False)
    sentences = verdicts(comparison, store.get_meta("kpi_better", {}), units)
    meta = {
        "experiment": experiment.get("name", ""),
        "scenarios": ", ".join(experiment.get("scenarios", [])),
        "baseline": f"{BASELINE} (the scenario itself)",
        "policies": ", ".join(p for p in order if p != BASELINE) or "none",
        "days simulated per replication": str(experiment.get("days") or "scenario's own"),
        "replications": _reps_text(frame),
        "warm-up": f"{store.get_meta('warmup_days', 0.0):.2f} days "
        f"({store.get_meta('warmup_method', 'fixed')})",
        "seeds": f"base seed {experiment.get('seed', '?')} + replication index "
        "(common random numbers)",
        "store": str(store.path),
        "code version": ", ".join(sorted(set(store.runs()["code_version"].astype(str)))),
    }
    meta.update({k: str(v) for k, v in (extra_meta or {}).items()})
    write_report(
        out,
        comparison=comparison,
        verdicts=sentences,
        kpi_frame=frame,
        units=units,
        descriptions=descriptions,
        meta=meta,
        sensitivity=sensitivity,
    )
    store.export(out / "export")
    return out / "report.html"


def _ordered(
    comparison: pd.DataFrame, kpis: list[str], policies: Mapping[str, int]
) -> pd.DataFrame:
    rank_kpi = {name: i for i, name in enumerate(kpis)}
    keyed = comparison.assign(
        _k=comparison["kpi"].map(rank_kpi), _p=comparison["policy"].map(policies)
    )
    keys = [c for c in ("scenario", "point") if c in comparison.columns]
    return keyed.sort_values([*keys, "_k", "_p"], kind="stable").drop(columns=["_k", "_p"])


def _reps_text(frame: pd.DataFrame) -> str:
    counts = frame.groupby(["scenario", "policy", "point"])["replication"].nunique()
    low, high = int(counts.min()), int(counts.max())
    return f"{low}" if low == high else f"{low} to {high} per cell"
