"""Non-stationary Poisson arrivals.

Rates are piecewise constant (per wave, per hour of a profile), so arrivals are drawn
exactly: the count in each piece is Poisson(rate x length) and, given the count, the
times are independent uniforms on the piece. No thinning, no per-arrival loop.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Annotated

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from twin.calendar import HOUR, Calendar

__all__ = ["HourlyProfile", "piecewise_poisson", "poisson_times"]


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


class HourlyProfile(BaseModel):
    """Arrival rates per hour: 24 values (every day alike) or 168 (Monday 0 h first).

    Rates are per hour and are multiplied by the calendar's day multiplier (weekday,
    holiday, festival). ``arrivals`` draws the exact non-stationary Poisson process.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    per_hour: tuple[Annotated[float, Field(ge=0, allow_inf_nan=False)], ...]

    @model_validator(mode="after")
    def _length(self) -> HourlyProfile:
        if len(self.per_hour) not in (24, 168):
            raise ValueError(f"need 24 or 168 hourly rates, got {len(self.per_hour)}")
        return self

    def rate(self, t: float, calendar: Calendar) -> float:
        """Arrivals per second at simulation time ``t``."""
        hour = calendar.hour_of_week(t) % len(self.per_hour)
        return self.per_hour[hour] * calendar.multiplier(calendar.date_of(t)) / HOUR

    def arrivals(
        self, rng: np.random.Generator, calendar: Calendar, start: float, end: float
    ) -> npt.NDArray[np.float64]:
        """Sorted arrival times in [start, end), exact for the piecewise-constant rate."""
        if end <= start:
            return np.empty(0)
        # Pieces end on the clock's hours, where the rate may change.
        origin = calendar.midnight_before(start)
        edges = [start]
        boundary = origin + HOUR * (math.floor((start - origin) / HOUR) + 1)
        while boundary < end:
            edges.append(boundary)
            boundary += HOUR
        edges.append(end)
        rates = [self.rate(lo, calendar) for lo in edges[:-1]]
        return piecewise_poisson(rng, edges, rates)
