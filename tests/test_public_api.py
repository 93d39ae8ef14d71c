"""The public surface of each package is explicit and pinned."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

EXPECTED = {
    "twin": [
        "DAY", "HOUR", "KPI", "MINUTE", "Agent", "AgentSet", "BuildingGrid", "Calendar",
        "CompositeModel", "ConformanceError", "Counter", "Deterministic", "Distribution",
        "Empirical", "Exponential", "Festival", "Gamma", "Holiday", "HourlyProfile",
        "Layout", "LayoutError", "LayoutSpec", "Level", "Lognormal", "Model", "ModelError",
        "Point", "Result", "Streams", "Subsystem", "Tally", "Triangular", "Uniform",
        "Weibull", "World", "check_model", "days", "hours", "package_versions", "piecewise_poisson",
        "poisson_times", "simulate", "stable_hash",
    ],
    "agents": ["ParcelLockers"],
    "scenarios": [
        "BUILTINS", "MAX_BYTES", "Scenario", "ScenarioError", "build_model", "builtin_path",
        "dump_yaml", "layout_of", "load", "scenario_hash",
    ],
    "calibration": [],
    "experiments": [
        "OUTPUT_FILES", "DaskCluster", "ExperimentSpec", "InProcess", "LocalProcesses",
        "ResultStore", "api", "compare", "format_kpi_table", "load_experiment",
        "make_executor", "mean_ci", "mser5", "replications_needed", "resolve_experiment",
        "run_scenario", "summarize", "write_run",
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_all_is_pinned(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(module.__all__) == sorted(EXPECTED[name])
    for symbol in module.__all__:
        assert hasattr(module, symbol), f"{name}.{symbol} is exported but missing"


def test_importing_changes_no_global_state() -> None:
    import random

    import numpy as np

    state = random.getstate()
    numpy_state = repr(np.random.get_state(legacy=False))
    for name in EXPECTED:
        importlib.reload(importlib.import_module(name))
    assert random.getstate() == state
    assert repr(np.random.get_state(legacy=False)) == numpy_state


def test_importing_sets_no_multiprocessing_start_method() -> None:
    # Mesa's batchrunner forces "spawn" on import; twin.registry undoes it.
    code = (
        "import multiprocessing as mp, twin, agents, scenarios, experiments, experiments.cli;"
        "print(mp.get_start_method(allow_none=True))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "None"
