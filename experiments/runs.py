"""Run one scenario and write its results: the Python face of ``twin run``."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from experiments.plots import dwell_figure, occupancy_figure
from scenarios import Scenario, build_model, dump_yaml, load, scenario_hash
from twin import DAY, Result, simulate
from twin.simulate import Progress

__all__ = ["OUTPUT_FILES", "run_scenario", "write_run"]

OUTPUT_FILES = (
    "kpis.json",
    "timeseries.csv",
    "scenario.yaml",
    "provenance.json",
    "occupancy.png",
    "dwell.png",
)


def run_scenario(
    source: str | Path = "default",
    *,
    seed: int = 1,
    days: float | None = None,
    policies: Iterable[str | Path] = (),
    sets: Iterable[str] = (),
    progress: Progress | None = None,
) -> tuple[Scenario, Result]:
    """Load (built-in name or YAML path), overlay, validate and run one scenario.

    ``days`` overrides the scenario's own and is recorded in the resolved scenario, so
    the written ``scenario.yaml`` reproduces the run.
    """
    overrides = list(sets)
    if days is not None:
        overrides.append(f"days={days!r}")
    scenario = load(source, policies=policies, sets=overrides)
    model = build_model(scenario)
    result = simulate(
        model,
        seed=seed,
        horizon=scenario.days * DAY,
        progress=progress,
        provenance={"scenario": scenario.name, "scenario_hash": scenario_hash(scenario)},
    )
    return scenario, result


def write_run(scenario: Scenario, result: Result, out: Path, figures: bool = True) -> Path:
    """Write a run's files into ``out``, all or nothing (staged, then moved into place)."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out {out} exists and is not a directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _write_files(scenario, result, staging, figures)
        out.mkdir(exist_ok=True)
        for item in sorted(staging.iterdir()):
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _write_files(scenario: Scenario, result: Result, folder: Path, figures: bool) -> None:
    (folder / "kpis.json").write_text(json.dumps(result.kpis_json_ready(), indent=2) + "\n")
    series = result.series.copy()
    series["time"] = series["time"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    series.to_csv(folder / "timeseries.csv", index=False)
    (folder / "scenario.yaml").write_text(dump_yaml(scenario))
    provenance = dict(result.provenance)
    (folder / "provenance.json").write_text(json.dumps(provenance, indent=2, default=str) + "\n")
    if not figures:
        return
    capacities = {b.name: b.compartments.total for b in scenario.lockers.banks}
    occupancy_figure(
        result.series,
        capacities,
        folder / "occupancy.png",
        f"{scenario.name}: locker occupancy by hour (seed {provenance.get('seed')})",
    )
    histogram = result.distributions.get("parcels.dwell_hours")
    if histogram is not None:
        fees = scenario.lockers.fees
        dwell_figure(
            histogram,
            fees.free_hours if fees.active else None,
            scenario.lockers.max_hold_hours,
            folder / "dwell.png",
            f"{scenario.name}: time parcels spend in the lockers",
        )
