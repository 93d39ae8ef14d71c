"""Conformance check for models, for users' own test suites.

``check_model(make_model)`` runs a model twice with one seed and once with another,
and fails if the same seed gives different KPIs, a different seed changes nothing (the
model ignores its seed; pass ``stochastic=False`` for a deterministic model), a declared
KPI is missing, or the run touched Python's or NumPy's global random state.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping

import numpy as np

from twin.model import Model
from twin.simulate import simulate

__all__ = ["ConformanceError", "check_model"]


class ConformanceError(AssertionError):
    """A model failed the conformance check; the message says which rule."""


def check_model(
    make_model: Callable[[], Model],
    *,
    seed: int = 1,
    horizon: float | None = None,
    stochastic: bool = True,
) -> None:
    """Raise ``ConformanceError`` if the model breaks a rule of the seam."""
    python_state = random.getstate()
    numpy_state = np.random.get_state(legacy=False)
    first = simulate(make_model(), seed=seed, horizon=horizon)
    second = simulate(make_model(), seed=seed, horizon=horizon)
    if random.getstate() != python_state:
        raise ConformanceError("the run changed the global 'random' state")
    if not _same_numpy_state(np.random.get_state(legacy=False), numpy_state):
        raise ConformanceError("the run changed the global numpy.random state")
    if not _same_kpis(first.kpis, second.kpis):
        diff = sorted(k for k in first.kpis if not _same(first.kpis[k], second.kpis.get(k)))
        raise ConformanceError(f"same seed gave different KPIs: {diff}")
    if not first.series.equals(second.series):
        raise ConformanceError("same seed gave different time series")
    if stochastic:
        other = simulate(make_model(), seed=seed + 1, horizon=horizon)
        if _same_kpis(first.kpis, other.kpis) and first.series.equals(other.series):
            raise ConformanceError(
                f"seeds {seed} and {seed + 1} gave identical results: is the seed used?"
            )
    model = make_model()
    missing = [kpi.name for kpi in model.kpis if kpi.name not in first.kpis]
    if missing:
        raise ConformanceError(f"declared KPIs missing from the result: {missing}")


def _same(a: float, b: float | None) -> bool:
    return b is not None and (a == b or (math.isnan(a) and math.isnan(b)))


def _same_kpis(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)


def _same_numpy_state(a: dict[str, object], b: dict[str, object]) -> bool:
    return repr(a) == repr(b)
