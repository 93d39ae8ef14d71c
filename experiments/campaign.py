"""Campaigns: run every missing replication of an experiment and store each as it ends.

What to run (the resolved experiment), how to run it (an executor) and what to keep (the
store) are separate. Tasks are batched so that each call lasts about a second or more,
which keeps scheduling overhead small on a process pool or a cluster. ``resume`` is the
natural mode: a task whose run id is already stored is never run again.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from experiments.analysis import mser5, replications_needed
from experiments.executors import Executor
from experiments.records import RunRecord
from experiments.spec import Cell, ExperimentSpec, Precision, ResolvedExperiment
from experiments.store import ResultStore
from experiments.tasks import Task, code_version, make_run_id, run_batch, run_task
from scenarios import ScenarioError, build_model
from twin import DAY, HOUR, simulate

__all__ = ["CampaignSummary", "run_campaign"]

TARGET_BATCH_SECONDS = 1.0


@dataclass(frozen=True)
class CampaignSummary:
    stored: int
    already_stored: int
    warmup_days: float
    replications: dict[tuple[str, str, int], int]
    wall_seconds: float


def run_campaign(
    experiment: ResolvedExperiment,
    store: ResultStore,
    executor: Executor,
    *,
    show_progress: bool = False,
    on_stored: Callable[[RunRecord], None] | None = None,
) -> CampaignSummary:
    """Run what the store lacks; ``on_stored`` is called after each committed replication."""
    started = time.perf_counter()
    spec = experiment.spec
    _record_meta(experiment, store)
    warmup_days = _warmup_days(experiment, store)
    version = code_version()
    stored = 0
    existing = store.run_ids()  # stored by an earlier, interrupted or shorter campaign
    targets = _initial_targets(experiment)
    while True:
        tasks = _tasks(experiment, targets, warmup_days, version)
        done = store.run_ids()
        todo = [t for t in tasks if t.run_id not in done]
        stored += _execute(todo, store, executor, show_progress, on_stored)
        if not isinstance(spec.replications, Precision):
            break
        grown = _grow_targets(experiment, store, targets)
        if grown == targets:
            break
        targets = grown
    reps = {
        (c.scenario_label, c.policy, c.point): targets[i] for i, c in enumerate(experiment.cells)
    }
    already = sum(task.run_id in existing for task in tasks)
    return CampaignSummary(stored, already, warmup_days, reps, time.perf_counter() - started)


def _record_meta(experiment: ResolvedExperiment, store: ResultStore) -> None:
    store.set_meta("experiment", experiment.spec.model_dump(mode="json"))
    store.set_meta("source", experiment.source)
    store.set_meta("policies", list(experiment.policies))
    store.set_meta("kpi_order", list(experiment.kpi_units))
    store.set_meta("kpi_units", dict(experiment.kpi_units))
    store.set_meta("kpi_descriptions", dict(experiment.kpi_descriptions))
    store.set_meta("kpi_better", dict(experiment.kpi_better))


def _warmup_days(experiment: ResolvedExperiment, store: ResultStore) -> float:
    """The warm-up: fixed, or MSER-5 on a pilot run of the first cell (kept on resume)."""
    stored = store.get_meta("warmup_days")
    if stored is not None:
        return float(stored)
    warmup = experiment.spec.warmup
    if warmup.method == "fixed":
        days = float(warmup.days or 0.0)
    else:
        cell = experiment.cells[0]
        result = simulate(build_model(cell.scenario), seed=experiment.spec.seed)
        series = result.series[result.series["series"] == warmup.series]["value"].to_numpy()
        if series.size < 20:
            raise ScenarioError(
                experiment.source, "warmup.series", f"no hourly series {warmup.series!r}"
            )
        days = mser5(series) * HOUR / DAY
    store.set_meta("warmup_days", days)
    store.set_meta("warmup_method", warmup.method)
    return days


def _initial_targets(experiment: ResolvedExperiment) -> dict[int, int]:
    reps = experiment.spec.replications
    count = reps.min if isinstance(reps, Precision) else reps
    return dict.fromkeys(range(len(experiment.cells)), count)


def _tasks(
    experiment: ResolvedExperiment, targets: dict[int, int], warmup_days: float, version: str
) -> list[Task]:
    spec = experiment.spec
    tasks = []
    for index, cell in enumerate(experiment.cells):
        for replication in range(targets[index]):
            seed = spec.seed + replication
            tasks.append(_task(spec, cell, replication, seed, warmup_days, version))
    return tasks


def _task(
    spec: ExperimentSpec,
    cell: Cell,
    replication: int,
    seed: int,
    warmup_days: float,
    version: str,
) -> Task:
    run_id = make_run_id(
        spec.name, cell.scenario_label, cell.policy, cell.point, cell.scenario, seed, warmup_days
    )
    return Task(
        run_id=run_id,
        campaign=spec.name,
        scenario_label=cell.scenario_label,
        policy=cell.policy,
        point=cell.point,
        replication=replication,
        seed=seed,
        factors=dict(cell.factors),
        scenario=cell.scenario,
        warmup_days=warmup_days,
        code_version=version,
        keep_series=spec.keep_series,
    )


def _execute(
    tasks: Sequence[Task],
    store: ResultStore,
    executor: Executor,
    show: bool,
    on_stored: Callable[[RunRecord], None] | None,
) -> int:
    if not tasks:
        return 0
    bar = _progress(len(tasks), show)
    stored = 0

    def keep(record: RunRecord) -> None:
        nonlocal stored
        if store.add(record):
            stored += 1
            if on_stored is not None:
                on_stored(record)
        bar(1)

    if executor.workers <= 1:
        for task in tasks:
            keep(run_task(task))
        bar(0, close=True)
        return stored
    # Pilot round: one task per worker, in parallel; their run times size the batches
    # of the rest so that each batch lasts about a second.
    pilots, rest = list(tasks[: executor.workers]), list(tasks[executor.workers :])
    seconds = 1e-3
    for _, records in executor.run(run_batch, [[task] for task in pilots]):
        for record in records:
            seconds = max(seconds, float(record.provenance.get("wall_seconds", 0.0)))
            keep(record)
    size = _batch_size(len(rest), seconds, executor.workers)
    batches = [rest[i : i + size] for i in range(0, len(rest), size)]
    for _, records in executor.run(run_batch, batches):
        for record in records:
            keep(record)
    bar(0, close=True)
    return stored


def _batch_size(count: int, seconds_per_task: float, workers: int) -> int:
    """Tasks per batch: about a second of work, but enough batches to keep workers busy."""
    if count == 0:
        return 1
    by_time = math.ceil(TARGET_BATCH_SECONDS / seconds_per_task)
    by_balance = max(1, count // (4 * max(workers, 1)))
    return max(1, min(by_time, by_balance))


def _grow_targets(
    experiment: ResolvedExperiment, store: ResultStore, targets: dict[int, int]
) -> dict[int, int]:
    """New replication counts so that every named KPI meets its half-width target."""
    precision = experiment.spec.replications
    assert isinstance(precision, Precision)
    frame = store.kpis()
    frame = frame[frame["kpi"].isin(list(precision.until)) & np.isfinite(frame["value"])]
    # One pass over the stored values, grouped by cell and KPI.
    observed = {
        key: group.to_numpy(dtype=float)
        for key, group in frame.groupby(["scenario", "policy", "point", "kpi"])["value"]
    }
    grown = {}
    for index, cell in enumerate(experiment.cells):
        need = targets[index]
        for kpi, target in precision.until.items():
            values = observed.get((cell.scenario_label, cell.policy, cell.point, kpi))
            if values is not None and values.size >= 2:
                need = max(need, replications_needed(values, target))
        grown[index] = min(need, precision.max)
    # Paired comparisons need the same replications in every policy of a scenario and point.
    most: dict[tuple[str, int], int] = {}
    for index, cell in enumerate(experiment.cells):
        key = (cell.scenario_label, cell.point)
        most[key] = max(most.get(key, 0), grown[index])
    return {i: most[(c.scenario_label, c.point)] for i, c in enumerate(experiment.cells)}


def _progress(total: int, show: bool) -> Callable[..., None]:
    if not (show and sys.stderr.isatty()):
        return lambda n, close=False: None
    import shutil

    from tqdm import tqdm

    size = shutil.get_terminal_size(fallback=(80, 24))
    bar = tqdm(
        total=total, unit="run", file=sys.stderr, ncols=size.columns, nrows=size.lines, leave=False
    )

    def update(n: int, close: bool = False) -> None:
        bar.update(n)
        if close:
            bar.close()

    return update
