"""Designs: the points (factor values) at which an experiment runs the model.

Full factorial takes every combination of discrete levels. Latin hypercube, Sobol
(Saltelli's scheme, first and total order) and Morris (elementary effects) sample
ranges through SALib, so the matching analyses in ``sensitivity`` apply unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from experiments.spec import DesignSpec, Factor

__all__ = ["design_points", "salib_problem"]


def salib_problem(factors: Sequence[Factor]) -> dict[str, Any]:
    return {
        "num_vars": len(factors),
        "names": [f.path for f in factors],
        "bounds": [[f.low, f.high] for f in factors],
    }


def design_points(factors: Sequence[Factor], design: DesignSpec, seed: int) -> list[dict[str, Any]]:
    """Factor values of each design point, in a deterministic order."""
    if not factors:
        return [{}]
    if design.kind == "full_factorial":
        missing = [f.path for f in factors if f.levels is None]
        if missing:
            raise ValueError(f"full_factorial needs 'levels' for factor(s) {', '.join(missing)}")
        grids = [f.levels for f in factors if f.levels is not None]
        return [
            {f.path: value for f, value in zip(factors, combo, strict=True)}
            for combo in itertools.product(*grids)
        ]
    ranged = [f.path for f in factors if f.low is None]
    if ranged:
        raise ValueError(f"{design.kind} needs 'low' and 'high' for factor(s) {', '.join(ranged)}")
    matrix = _sample(factors, design, seed)
    return [
        {
            f.path: (round(float(x)) if f.integer else float(x))
            for f, x in zip(factors, row, strict=True)
        }
        for row in matrix
    ]


def _sample(factors: Sequence[Factor], design: DesignSpec, seed: int) -> np.ndarray:
    problem = salib_problem(factors)
    if design.kind == "morris":
        if design.trajectories is None:
            raise ValueError("morris needs 'trajectories' (number of elementary-effect paths)")
        from SALib.sample import morris

        return np.asarray(
            morris.sample(problem, design.trajectories, num_levels=design.levels, seed=seed)
        )
    if design.samples is None:
        raise ValueError(f"{design.kind} needs 'samples'")
    if design.kind == "latin_hypercube":
        from SALib.sample import latin

        return np.asarray(latin.sample(problem, design.samples, seed=seed))
    if design.samples & (design.samples - 1):
        raise ValueError("sobol needs 'samples' to be a power of 2 (Saltelli's scheme)")
    from SALib.sample import sobol

    return np.asarray(sobol.sample(problem, design.samples, calc_second_order=False, seed=seed))
