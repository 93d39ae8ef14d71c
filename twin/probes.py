"""Streaming statistics: counters, tallies and time-weighted levels.

Probes keep memory bounded as the horizon grows:

* ``Tally`` keeps every observation (8 bytes each) up to ``exact_limit`` and reports
  exact percentiles; past the limit it folds them into a log-bucketed sketch whose
  percentiles are within 0.5% relative error, and memory stops growing.
* ``Level`` integrates a piecewise-constant quantity (occupancy, queue length) over
  time and keeps one number per hour for the time series.
"""

from __future__ import annotations

import math
from array import array

import numpy as np
import numpy.typing as npt

from twin.calendar import HOUR

__all__ = ["Counter", "Level", "Tally"]


class Counter:
    """A named count of events."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def add(self, n: int = 1) -> None:
        self.value += n


class Tally:
    """Observations of a quantity: count, mean, extremes and percentiles."""

    GAMMA = 1.01  # sketch bucket ratio: representative value within 0.5% of any member

    def __init__(self, exact_limit: int = 2_000_000) -> None:
        if exact_limit < 1:
            raise ValueError("exact_limit must be positive")
        self.exact_limit = exact_limit
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf
        self._values: array[float] | None = array("d")
        self._sketch: dict[int, int] = {}
        self._zeros = 0

    @property
    def exact(self) -> bool:
        """True while every observation is kept (percentiles exact)."""
        return self._values is not None

    def add(self, x: float) -> None:
        self.count += 1
        self.total += x
        if x < self.min:
            self.min = x
        if x > self.max:
            self.max = x
        values = self._values
        if values is not None:
            values.append(x)
            if len(values) > self.exact_limit:
                self._fold()
        else:
            self._sketch_add(x)

    def _fold(self) -> None:
        values, self._values = self._values, None
        assert values is not None
        for x in values:
            self._sketch_add(x)

    def _sketch_add(self, x: float) -> None:
        if x <= 0:
            self._zeros += 1
            return
        key = math.floor(math.log(x, self.GAMMA))
        self._sketch[key] = self._sketch.get(key, 0) + 1

    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan

    def quantile(self, q: float) -> float:
        """The q-quantile (linear interpolation while exact; sketch estimate after)."""
        if not 0 <= q <= 1:
            raise ValueError("q must be in [0, 1]")
        if self.count == 0:
            return math.nan
        if self._values is not None:
            return float(np.quantile(np.frombuffer(self._values, dtype=float), q))
        rank = q * (self.count - 1)
        seen = self._zeros
        if rank < seen:
            return 0.0
        for key in sorted(self._sketch):
            seen += self._sketch[key]
            if rank < seen:
                return 2 * self.GAMMA ** (key + 1) / (self.GAMMA + 1)
        return self.max

    def values(self) -> npt.NDArray[np.float64]:
        """The observations (exact mode) or bucket representatives repeated by count."""
        if self._values is not None:
            return np.frombuffer(self._values, dtype=float).copy()
        keys = sorted(self._sketch)
        reps = [2 * self.GAMMA ** (k + 1) / (self.GAMMA + 1) for k in keys]
        counts = [self._sketch[k] for k in keys]
        return np.concatenate([np.zeros(self._zeros), np.repeat(reps, counts)])

    def histogram(self, bins: int = 60, upper: float | None = None) -> dict[str, list[float]]:
        """Counts in ``bins`` equal bins on [0, upper], values above it in the last bin."""
        data = self.values()
        top = upper if upper is not None else (float(np.quantile(data, 0.99)) if data.size else 1)
        top = top if top > 0 else 1.0
        edges = np.linspace(0.0, top, bins + 1)
        counts, _ = np.histogram(np.minimum(data, top), bins=edges)
        return {
            "lower": edges[:-1].tolist(),
            "upper": edges[1:].tolist(),
            "count": counts.astype(float).tolist(),
        }


class Level:
    """A piecewise-constant quantity integrated over time, with per-bucket means."""

    __slots__ = (
        "_area",
        "_bucket",
        "_bucket_area",
        "_bucket_end",
        "_current_area",
        "_t",
        "peak",
        "start",
        "value",
    )

    def __init__(self, start: float = 0.0, initial: float = 0.0, bucket: float = HOUR) -> None:
        self.start = start
        self.value = initial
        self.peak = initial
        self._t = start
        self._area = 0.0
        self._bucket = bucket
        self._bucket_end = start + bucket
        self._bucket_area: array[float] = array("d")
        self._current_area = 0.0

    def add(self, t: float, delta: float) -> None:
        self.set(t, self.value + delta)

    def set(self, t: float, value: float) -> None:
        self.advance(t)
        self.value = value
        if value > self.peak:
            self.peak = value

    def advance(self, t: float) -> None:
        """Integrate the current value up to time ``t`` (which must not go backwards)."""
        t0 = self._t
        if t <= t0:
            if t < t0:
                raise ValueError(f"time went backwards: {t} < {t0}")
            return
        v = self.value
        self._area += v * (t - t0)
        end = self._bucket_end
        while t > end:
            self._bucket_area.append(self._current_area + v * (end - t0))
            self._current_area = 0.0
            t0 = end
            end += self._bucket
        self._current_area += v * (t - t0)
        self._bucket_end = end
        self._t = t

    def mean(self, now: float) -> float:
        """Time-average from the start to ``now``."""
        self.advance(now)
        span = now - self.start
        return self._area / span if span > 0 else self.value

    def bucket_means(self, now: float) -> npt.NDArray[np.float64]:
        """Time-average within each bucket up to ``now`` (the last may be partial)."""
        self.advance(now)
        full = np.frombuffer(self._bucket_area, dtype=float) / self._bucket
        partial = now - (self._bucket_end - self._bucket)
        if partial > 1e-9:
            return np.append(full, self._current_area / partial)
        return full.copy()
