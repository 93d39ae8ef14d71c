"""Scenarios as data: safe loading, overlays, validation, built-ins, model building."""

from scenarios.build import build_model
from scenarios.catalogue import BUILTINS, builtin_path
from scenarios.errors import ScenarioError
from scenarios.loader import dump_yaml, layout_of, load, scenario_hash
from scenarios.safe_yaml import MAX_BYTES
from scenarios.schema import Scenario

__all__ = [
    "BUILTINS",
    "MAX_BYTES",
    "Scenario",
    "ScenarioError",
    "build_model",
    "builtin_path",
    "dump_yaml",
    "layout_of",
    "load",
    "scenario_hash",
]
