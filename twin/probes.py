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
    """A running total: a count of events, or a sum such as fees or courier seconds."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def add(self, n: float = 1) -> None:
        self.value += n

    def clear(self) -> None:
        self.value = 0.0


class Tally:
    """Observations of a quantity: count, mean, extremes and percentiles."""

    GAMMA = 1.01  # sketch bucket ratio: representative value within 0.5% of any member

    def __init__(self, exact_limit: int = 2_000_000) -> None:
        if exact_limit < 1:
            raise ValueError("exact_limit must be positive")
        self.exact_limit = exact_limit
        self.clear()

    def clear(self) -> None:
        """Forget every observation (used at the end of a warm-up)."""
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf
        self._values: array[float] | None = array("d")
        # Sketch: bucket key -> count, separately for positive and negative values.
        self._positive: dict[int, int] = {}
        self._negative: dict[int, int] = {}
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
        if x == 0:
            self._zeros += 1
            return
        side = self._positive if x > 0 else self._negative
        key = math.floor(math.log(abs(x), self.GAMMA))
        side[key] = side.get(key, 0) + 1

    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan

    def points(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Sorted values and their weights: the observations (weight 1) while exact,
        else one representative per sketch bucket weighted by its count. The size is
        bounded by the number of buckets, not of observations."""
        if self._values is not None:
            data = np.sort(np.frombuffer(self._values, dtype=float))
            return data, np.ones_like(data)
        gamma = self.GAMMA

        def rep(key: int) -> float:
            return 2 * gamma ** (key + 1) / (gamma + 1)

        negative = sorted(self._negative, reverse=True)
        positive = sorted(self._positive)
        zeros = [0.0] * bool(self._zeros)
        values = [-rep(k) for k in negative] + zeros + [rep(k) for k in positive]
        weights = (
            [self._negative[k] for k in negative]
            + [self._zeros] * bool(self._zeros)
            + [self._positive[k] for k in positive]
        )
        return np.asarray(values, dtype=float), np.asarray(weights, dtype=float)

    def quantile(self, q: float) -> float:
        """The q-quantile (linear interpolation while exact; sketch estimate after)."""
        if not 0 <= q <= 1:
            raise ValueError("q must be in [0, 1]")
        if self.count == 0:
            return math.nan
        if self._values is not None:
            return float(np.quantile(np.frombuffer(self._values, dtype=float), q))
        values, weights = self.points()
        rank = q * (self.count - 1)
        index = int(np.searchsorted(np.cumsum(weights), rank, side="right"))
        return float(values[min(index, values.size - 1)])

    def histogram(self, bins: int = 60, upper: float | None = None) -> dict[str, list[float]]:
        """Counts in ``bins`` equal bins from min(0, smallest) to ``upper`` (default: the
        99th percentile); values above it are counted in the last bin."""
        values, weights = self.points()
        low = min(0.0, float(self.min)) if self.count else 0.0
        top = upper if upper is not None else (self.quantile(0.99) if self.count else 1.0)
        top = top if top > low else low + 1.0
        edges = np.linspace(low, top, bins + 1)
        counts, _ = np.histogram(np.minimum(values, top), bins=edges, weights=weights)
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
        "_created",
        "_current_area",
        "_first_end",
        "_t",
        "first_bucket",
        "peak",
        "start",
        "value",
    )

    def __init__(
        self, start: float = 0.0, initial: float = 0.0, bucket: float = HOUR, origin: float = 0.0
    ) -> None:
        """Buckets are aligned to ``origin`` (the run's start), whenever the level starts:
        bucket ``first_bucket`` is the one containing ``start``."""
        if start < origin:
            raise ValueError("a level cannot start before its origin")
        self.start = start
        self.value = initial
        self.peak = initial
        self._t = start
        self._area = 0.0
        self._bucket = bucket
        self.first_bucket = math.floor((start - origin) / bucket)
        self._created = start
        self._first_end = origin + (self.first_bucket + 1) * bucket
        self._bucket_end = self._first_end
        self._bucket_area: array[float] = array("d")
        self._current_area = 0.0

    def add(self, t: float, delta: float) -> None:
        t0 = self._t
        if t0 <= t <= self._bucket_end:
            # Hot path (most updates): no bucket boundary crossed since the last one.
            step = self.value * (t - t0)
            self._area += step
            self._current_area += step
            self._t = t
            value = self.value = self.value + delta
            if value > self.peak:
                self.peak = value
            return
        self.set(t, self.value + delta)

    def clear(self, t: float) -> None:
        """Restart the mean and peak at time ``t`` (end of a warm-up); buckets are kept."""
        self.advance(t)
        self.start = t
        self._area = 0.0
        self.peak = self.value

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
        """Time-average within each bucket from ``first_bucket`` up to ``now``.

        The first bucket is averaged over the part after the level's creation and the
        last over the part before ``now``, so partial buckets are not diluted.
        """
        self.advance(now)
        areas = np.append(np.frombuffer(self._bucket_area, dtype=float), self._current_area)
        ends = self._first_end + self._bucket * np.arange(areas.size)
        starts = ends - self._bucket
        starts[0] = max(starts[0], self._created)
        covered = np.minimum(ends, now) - starts
        if covered[-1] <= 1e-9:
            areas, covered = areas[:-1], covered[:-1]
        return np.asarray(areas / covered, dtype=float)
