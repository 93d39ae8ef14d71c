"""Orchestration: runs, campaigns, executors, the result store, analysis, reports, the CLI.

What to run (``spec``, ``design``), how to run it (``executors``) and what to keep
(``store``) are separate; ``api`` ties them together for notebooks, as the ``twin``
command does for the shell.

Names are imported on first use (PEP 562): a worker process that only needs
``experiments.tasks`` does not pay for matplotlib, DuckDB or Dask at start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "OUTPUT_FILES": "experiments.runs",
    "DaskCluster": "experiments.executors",
    "ExperimentSpec": "experiments.spec",
    "InProcess": "experiments.executors",
    "LocalProcesses": "experiments.executors",
    "ResultStore": "experiments.store",
    "api": "experiments.api",
    "compare": "experiments.analysis",
    "format_kpi_table": "experiments.table",
    "load_experiment": "experiments.spec",
    "make_executor": "experiments.executors",
    "mean_ci": "experiments.analysis",
    "mser5": "experiments.analysis",
    "replications_needed": "experiments.analysis",
    "resolve_experiment": "experiments.spec",
    "run_scenario": "experiments.runs",
    "summarize": "experiments.analysis",
    "write_run": "experiments.runs",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'experiments' has no attribute {name!r}")
    module = importlib.import_module(_WHERE[name])
    value = module if name == "api" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
