"""The built-in scenarios: an explicit catalogue of data files shipped in the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["BUILTINS", "builtin_path"]

BUILTINS: dict[str, str] = {
    "default": "Closed compound, 2,000 households in 40 buildings, 3 locker banks, 28 days",
    "old-lane": "Open old-lane area, 1,200 households, 4 entrances, one small locker bank",
    "double-11": "The default compound in the Double 11 festival week (x2.5 parcels)",
    "erlang-loss-locker": "Reference: one bank of 10 identical compartments, M/M/c/c loss",
}


def builtin_path(name: str) -> Path:
    """Path of a built-in scenario's file (KeyError for an unknown name)."""
    if name not in BUILTINS:
        raise KeyError(name)
    return Path(str(resources.files("scenarios") / "builtin" / f"{name}.yaml"))
