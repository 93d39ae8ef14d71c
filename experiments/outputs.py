"""From a result store to the files a person reads: comparison CSV, verdicts, report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from experiments.analysis import (
    COMPARE_COLUMNS,
    compare,
    pareto_front,
    rank,
    replications_needed,
    summarize,
    verdicts,
)
from experiments.report import write_report
from experiments.spec import BASELINE
from experiments.store import ResultStore

__all__ = ["COMPARISON_COLUMNS", "DEFAULT_RELATIVE_PRECISION", "Outputs", "write_outputs"]

COMPARISON_COLUMNS = list(COMPARE_COLUMNS)
DEFAULT_RELATIVE_PRECISION = 0.05
"""Half-width target (fraction of the mean) for KPIs without an explicit target."""


class Outputs(NamedTuple):
    report: Path
    comparison: pd.DataFrame


def write_outputs(
    store: ResultStore,
    out: Path,
    *,
    sensitivity: pd.DataFrame | None = None,
) -> Outputs:
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
    frame.drop(columns=["run_id"]).to_csv(out / "kpis.csv", index=False)
    better: dict[str, str | None] = store.get_meta("kpi_better", {})
    sentences = verdicts(comparison, better, units)
    tables = _extra_tables(frame, wanted, better, experiment)
    for name, (_, _, table) in tables.items():
        table.to_csv(out / f"{name}.csv", index=False)
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
    write_report(
        out,
        comparison=comparison,
        verdicts=sentences,
        kpi_frame=frame,
        units=units,
        descriptions=descriptions,
        meta=meta,
        sensitivity=sensitivity,
        tables=list(tables.values()),
    )
    store.export(out / "export")
    return Outputs(report=out / "report.html", comparison=comparison)


def _extra_tables(
    frame: pd.DataFrame,
    kpis: list[str],
    better: Mapping[str, str | None],
    experiment: Mapping[str, Any],
) -> dict[str, tuple[str, str, pd.DataFrame]]:
    """Ranking per KPI, the Pareto front of two KPIs, and replications needed."""
    tables: dict[str, tuple[str, str, pd.DataFrame]] = {}
    directed = [k for k in kpis if better.get(k) in ("lower", "higher")]
    contexts = frame[["scenario", "point"]].drop_duplicates().itertuples(index=False)
    ranks = []
    for scenario, point in contexts:
        here = frame[(frame["scenario"] == scenario) & (frame["point"] == point)]
        if here["policy"].nunique() < 2:
            continue
        for kpi in directed:
            if here.loc[here["kpi"] == kpi, "value"].notna().any():
                ranked = rank(here, kpi, str(better[kpi]))
                ranks.append(ranked.assign(scenario=scenario, point=point, kpi=kpi))
    if ranks:
        ranking = pd.concat(ranks, ignore_index=True)
        columns = ["scenario", "point", "kpi", "rank", "policy", "mean", "differs_from_best"]
        tables["ranking"] = (
            "Ranking",
            "Policies from best to worst on each KPI with a preferred direction; "
            "'differs_from_best' is True when the paired interval against the best "
            "excludes zero.",
            ranking[columns],
        )
    pair = experiment.get("pareto") or directed[:2]
    alternatives = frame[["policy", "point"]].drop_duplicates()
    if len(pair) == 2 and len(alternatives) > 1 and all(better.get(k) for k in pair):
        directions = (str(better[pair[0]]), str(better[pair[1]]))
        front = pareto_front(frame, pair[0], pair[1], directions)
        tables["pareto"] = (
            f"Trade-off: {pair[0]} against {pair[1]}",
            "An alternative is on the Pareto front (pareto = True) when no other is at "
            "least as good on both KPIs and better on one (means over replications).",
            front,
        )
    tables["precision"] = (
        "Precision",
        "95% interval half-width of each mean, its target (from the experiment, else "
        f"{DEFAULT_RELATIVE_PRECISION:.0%} of the mean) and the replications needed to "
        "reach it.",
        _precision(frame, experiment),
    )
    return tables


def _precision(frame: pd.DataFrame, experiment: Mapping[str, Any]) -> pd.DataFrame:
    replications = experiment.get("replications")
    explicit = replications.get("until", {}) if isinstance(replications, dict) else {}
    summary = summarize(frame)
    keys = ["scenario", "policy", "point", "kpi"]
    observed = {key: group.dropna() for key, group in frame.groupby(keys)["value"]}
    needed, targets = [], []
    for row in summary.itertuples(index=False):
        values = observed[(row.scenario, row.policy, row.point, row.kpi)]
        target = explicit.get(row.kpi, DEFAULT_RELATIVE_PRECISION * abs(float(row.mean)))
        targets.append(target)
        enough = len(values) >= 2 and target > 0
        needed.append(replications_needed(values.to_numpy(), target) if enough else pd.NA)
    columns = ["scenario", "policy", "point", "kpi", "reps", "half_width"]
    return summary[columns].assign(target=targets, reps_needed=needed)


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
