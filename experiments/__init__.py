"""Orchestration: running scenarios, writing results, figures and the ``twin`` CLI."""

from experiments.runs import OUTPUT_FILES, run_scenario, write_run
from experiments.table import format_kpi_table

__all__ = ["OUTPUT_FILES", "format_kpi_table", "run_scenario", "write_run"]
