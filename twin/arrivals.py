"""Non-stationary Poisson arrivals.

Rates are piecewise constant (per wave, per hour of a profile), so arrivals are drawn
exactly: the count in each piece is Poisson(rate x length) and, given the count, the
times are independent uniforms on the piece. No thinning, no per-arrival loop.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["piecewise_poisson", "poisson_times"]


def poisson_times(
    rng: np.random.Generator, start: float, end: float, rate: float
) -> npt.NDArray[np.float64]:
    """Sorted arrival times of a homogeneous Poisson process of ``rate`` on [start, end)."""
    if end <= start or rate <= 0:
        return np.empty(0)
    count = rng.poisson(rate * (end - start))
    return np.sort(rng.uniform(start, end, count))


def piecewise_poisson(
    rng: np.random.Generator, breakpoints: Sequence[float], rates: Sequence[float]
) -> npt.NDArray[np.float64]:
    """Sorted arrival times for rate ``rates[i]`` on [breakpoints[i], breakpoints[i+1])."""
    if len(breakpoints) != len(rates) + 1:
        raise ValueError("need one more breakpoint than rates")
    if any(b <= a for a, b in itertools.pairwise(breakpoints)):
        raise ValueError("breakpoints must increase")
    pieces = [
        poisson_times(rng, lo, hi, rate)
        for lo, hi, rate in zip(breakpoints[:-1], breakpoints[1:], rates, strict=True)
    ]
    return np.concatenate(pieces) if pieces else np.empty(0)
