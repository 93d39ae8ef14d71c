"""The world of one run: clock, random streams, calendar, agent registry and probes."""

from __future__ import annotations

from typing import Any

import pandas as pd
import simpy

from twin.calendar import HOUR, Calendar
from twin.probes import Counter, Level, Tally
from twin.registry import Registry
from twin.rng import Streams

__all__ = ["World"]


class World:
    """Everything a model's behaviours share during one run.

    Probes are created through the world so that the run can collect them: every
    ``level`` becomes an hourly time series, every ``tally`` a distribution.
    """

    def __init__(self, seed: int, calendar: Calendar, horizon: float) -> None:
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        self.calendar = calendar
        self.horizon = horizon
        self.registry = Registry(self.streams("twin.registry"))
        self.counters: dict[str, Counter] = {}
        self.tallies: dict[str, Tally] = {}
        self.levels: dict[str, Level] = {}
        # Per-run state of subsystems, keyed by subsystem name: subsystem specs stay frozen.
        self.state: dict[str, Any] = {}

    @property
    def now(self) -> float:
        return float(self.env.now)

    def counter(self, name: str) -> Counter:
        return self.counters.setdefault(name, Counter())

    def tally(self, name: str) -> Tally:
        return self.tallies.setdefault(name, Tally())

    def level(self, name: str, initial: float = 0.0) -> Level:
        if name not in self.levels:
            self.levels[name] = Level(start=self.now, initial=initial, bucket=HOUR, origin=0.0)
        return self.levels[name]

    def clear_statistics(self) -> None:
        """Reset every probe at the current time: what came before is warm-up.

        Hourly series are kept whole (a person wants to see the warm-up too); means,
        peaks, counts and tallies restart from now.
        """
        for counter in self.counters.values():
            counter.clear()
        for tally in self.tallies.values():
            tally.clear()
        for level in self.levels.values():
            level.clear(self.now)

    def series_frame(self) -> pd.DataFrame:
        """All levels as one tidy frame: time (start of hour), series, value (hour mean)."""
        frames = []
        for name in sorted(self.levels):
            level = self.levels[name]
            means = level.bucket_means(self.now)
            first = self.calendar.start + pd.Timedelta(hours=level.first_bucket)
            times = pd.date_range(first, periods=len(means), freq="h")
            frames.append(pd.DataFrame({"time": times, "series": name, "value": means}))
        if not frames:
            return pd.DataFrame(
                {
                    "time": pd.Series(dtype="datetime64[ns]"),
                    "series": pd.Series(dtype=str),
                    "value": pd.Series(dtype=float),
                }
            )
        return pd.concat(frames, ignore_index=True)
