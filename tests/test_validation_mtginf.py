"""Statistical validation: a locker bank without capacity limit is an M_t/G/infinity queue.

Parcels arrive in courier waves, a Poisson process with a periodic piecewise-constant
rate lambda(t) (period 24 h); each stays an independent dwell S. With no compartment
limit, no returns, no fees and no forgetting, the expected occupancy in steady state is

    m(t) = integral_0^inf lambda(t - u) P(S > u) du        (Eick, Massey and Whitt 1993).

The hourly series records the time-average of the occupancy over each hour, so the test
compares it with the hour-average of m. For a wave of rate r on [a, b) (repeated daily)
and G(x) = integral_0^x P(S > u) du (G = 0 for x <= 0), the arrivals of day j
contribute r (G(t - a - 24 j) - G(t - b - 24 j)); summing over all past days gives m(t),
over days j >= 0 only gives the mean of a run that starts empty at t = 0.

Method. R runs (seeds 1..R) of 35 days; the first 10 days are discarded (the
remaining start-up bias is computed exactly and asserted to be negligible), and each
run gives one 24-vector: its occupancy by hour of day averaged over the measured days.
Per hour, the t-interval over the R runs must contain the hour-average of m; the 24
hours plus the daily mean are one family held at 95% jointly (Bonferroni).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from scipy import integrate
from stats_helpers import Interval, bonferroni, replicate, t_interval

import scenarios
import twin

FloatArray = npt.NDArray[np.float64]
Survival = Callable[[FloatArray], FloatArray]
Wave = tuple[float, float, float]  # (start hour, end hour, arrivals per hour)

SCENARIO = "erlang-loss-locker"
REPLICATIONS = 30
DAYS = 35
WARMUP_DAYS = 10
FAMILY_LEVEL = 0.95
HOURS = 24
FAMILY_SIZE = HOURS + 1  # 24 hours of the day and the daily mean
LEVEL = bonferroni(FAMILY_LEVEL, FAMILY_SIZE)

SETS = [
    "lockers.banks.0.compartments.S=100000",  # no capacity limit in practice
    "lockers.banks.0.compartments.M=0",
    "lockers.banks.0.compartments.L=0",
    "lockers.overflow=lost",
    "lockers.max_hold_hours=null",  # no returns
    "lockers.fees={free_hours: 0, per_12h_cny: 0, cap_cny: 0}",
    "parcels.per_household_per_day=0.96",
    "parcels.channels={locker: 1, pickup_point: 0, doorstep: 0}",
    "parcels.waves=[{start_hour: 10, end_hour: 12, share: 0.55},"
    " {start_hour: 15, end_hour: 17, share: 0.45}]",
    "calendar.start=2026-03-02T00:00:00",
    "calendar.weekday_multipliers=[1, 1, 1, 1, 1, 1, 1]",
    "calendar.holidays=[]",
    "calendar.festivals=[]",
    "pickup.delay_hours={kind: lognormal, median: 8, sigma: 1}",
    "pickup.forgotten_share=0",
    "pickup.pickup_seconds={kind: deterministic, value: 0}",
]


# -- theory ----------------------------------------------------------------------------------
class Occupancy:
    """Expected occupancy of an M_t/G/infinity queue with daily waves, computed from sf.

    ``step`` is the grid (hours) for G = cumulative integral of the survival function and
    for the average over each hour; ``tail`` is the survival probability below which the
    dwell is treated as over (the truncation error is below rate x tail x 24 h).
    """

    def __init__(
        self, waves: Sequence[Wave], sf: Survival, step: float = 1 / 120, tail: float = 1e-10
    ) -> None:
        self.waves = tuple(waves)
        self.step = step
        horizon = 24.0
        while float(sf(np.array([horizon]))[0]) > tail:
            horizon *= 2
        self.grid = np.arange(0.0, horizon + step / 2, step)
        self.cumulative = integrate.cumulative_trapezoid(sf(self.grid), self.grid, initial=0.0)

    def g(self, x: FloatArray) -> FloatArray:
        """G(x) = E[min(S, x)] for x > 0, and 0 for x <= 0."""
        return np.where(x > 0, np.interp(x, self.grid, self.cumulative), 0.0)

    def at(self, t: FloatArray, first_day: int | None = None) -> FloatArray:
        """m(t) at absolute times ``t`` (hours), counting arrivals from day ``first_day``.

        ``first_day=None`` counts every past day (the periodic steady state); ``0`` gives
        the expectation of a run that starts empty at t = 0.
        """
        t = np.asarray(t, dtype=float)[:, None]
        lowest = -math.ceil(self.grid[-1] / 24) - 1 if first_day is None else first_day
        days = np.arange(lowest, math.floor(float(t.max()) / 24) + 1)[None, :]
        total = np.zeros(t.shape[0])
        for start, end, rate in self.waves:
            offset = t - 24.0 * days
            total += rate * (self.g(offset - start) - self.g(offset - end)).sum(axis=1)
        return total

    def hourly(self, day: int = 0, first_day: int | None = None) -> FloatArray:
        """Average of m over each hour of day ``day`` (midpoint rule on the grid)."""
        per_hour = round(1 / self.step)
        t = 24.0 * day + (np.arange(HOURS * per_hour) + 0.5) * self.step
        return self.at(t, first_day).reshape(HOURS, per_hour).mean(axis=1)


def waves_of(scenario: scenarios.Scenario) -> list[Wave]:
    """The scenario's waves as (start, end, arrivals per hour) on a day of multiplier 1."""
    daily = scenarios.layout_of(scenario).total_households * scenario.parcels.per_household_per_day
    return [
        (w.start_hour, w.end_hour, daily * w.share / (w.end_hour - w.start_hour))
        for w in scenario.parcels.waves
    ]


def shifted(waves: Sequence[Wave], hours: float) -> list[Wave]:
    return [(a + hours, b + hours, r) for a, b, r in waves]


# -- checks of the numerical integral (fast) -----------------------------------------------
def test_constant_rate_gives_rate_times_mean_dwell() -> None:
    dwell = twin.Lognormal(median=8, sigma=1)
    profile = Occupancy([(0.0, 24.0, 4.0)], dwell.sf).hourly()
    np.testing.assert_allclose(profile, 4.0 * dwell.mean(), rtol=1e-5)


def test_daily_mean_obeys_littles_law() -> None:
    dwell = twin.Gamma(shape=2, scale=3)
    waves = [(10.0, 12.0, 20.0), (15.0, 17.0, 10.0)]
    daily = sum((b - a) * r for a, b, r in waves)
    profile = Occupancy(waves, dwell.sf).hourly()
    assert math.isclose(profile.mean(), daily / 24 * dwell.mean(), rel_tol=1e-5)
    assert profile.max() > 1.5 * profile.min()  # the waves do show


def test_exponential_dwell_matches_ode() -> None:
    """Independent method: for exponential dwell m' = lambda(t) - m / mean, solved exactly
    step by step on a fine grid and iterated to the periodic orbit."""
    mean = 5.0
    waves = [(10.0, 12.0, 20.0), (15.0, 17.0, 10.0)]
    profile = Occupancy(waves, twin.Exponential(mean=mean).sf).hourly()

    per_hour = 600
    dt = 1 / per_hour
    mid = (np.arange(HOURS * per_hour) + 0.5) * dt
    rate = np.zeros_like(mid)
    for a, b, r in waves:
        rate[(mid >= a) & (mid < b)] += r
    decay = math.exp(-dt / mean)
    m = 0.0
    for _ in range(30):  # 30 days: e^(-144) of the empty start is left
        day = [m]
        for lam in rate:
            m = lam * mean + (m - lam * mean) * decay
            day.append(m)
    values = np.array(day)
    hourly = np.array(
        [
            integrate.trapezoid(values[h * per_hour : (h + 1) * per_hour + 1], dx=dt)
            for h in range(HOURS)
        ]
    )
    np.testing.assert_allclose(profile, hourly, rtol=1e-4)


# -- the simulation --------------------------------------------------------------------------
@functools.cache
def scenario() -> scenarios.Scenario:
    return scenarios.load(SCENARIO, sets=SETS)


@functools.cache
def hourly_profiles() -> FloatArray:
    """One row per run: mean occupancy by hour of day over the days after the warm-up."""
    rows = []
    start = pd.Timestamp(scenario().calendar.start)
    for result in replicate(SCENARIO, SETS, DAYS, REPLICATIONS):
        series = result.series[result.series["series"] == "lockers.occupancy"]
        elapsed = ((series["time"] - start) / pd.Timedelta(hours=1)).to_numpy()
        assert np.array_equal(elapsed, np.arange(DAYS * HOURS))  # hourly, from the start
        day = elapsed // HOURS
        hour = series["time"].dt.hour.to_numpy()  # hour of the clock
        values = series["value"].to_numpy()
        kept = day >= WARMUP_DAYS
        rows.append(
            np.bincount(hour[kept], weights=values[kept], minlength=HOURS) / (DAYS - WARMUP_DAYS)
        )
    return np.array(rows)


def intervals(profiles: FloatArray) -> list[Interval]:
    return [t_interval(profiles[:, h], LEVEL) for h in range(HOURS)]


def outside(theory: FloatArray, cis: Sequence[Interval]) -> list[int]:
    return [h for h, ci in enumerate(cis) if not ci.contains(float(theory[h]))]


def test_scenario_meets_the_assumptions() -> None:
    sc = scenario()
    assert sc.lockers.max_hold_hours is None and sc.lockers.overflow == "lost"
    assert not sc.lockers.fees.active and sc.pickup.forgotten_share == 0
    assert sc.lockers.banks[0].compartments.total == 100_000
    calendar = sc.calendar
    assert calendar.start.hour == 0 and calendar.start.minute == 0  # waves are clock hours
    for day in range(DAYS):
        assert calendar.multiplier(calendar.date_of(twin.days(day))) == 1.0
    # Capacity never binds: the expected peak is a tiny fraction of the compartments.
    peak = Occupancy(waves_of(sc), sc.pickup.delay_hours.sf).hourly().max()
    assert peak + 10 * math.sqrt(peak) < sc.lockers.banks[0].compartments.total / 100


@pytest.mark.slow
def test_hourly_occupancy_matches_mtginf() -> None:
    sc = scenario()
    dwell = sc.pickup.delay_hours
    assert isinstance(dwell, twin.Lognormal)
    waves = waves_of(sc)
    theory = Occupancy(waves, dwell.sf)
    expected = theory.hourly()
    profiles = hourly_profiles()
    cis = intervals(profiles)

    # Start-up bias left after the warm-up: exact expected shortfall of a run started empty.
    measured = range(WARMUP_DAYS, DAYS)
    from_empty = np.mean([theory.hourly(day=d, first_day=0) for d in measured], axis=0)
    start_bias = np.abs(expected - from_empty).max()
    narrowest = min(ci.half_width for ci in cis)
    assert start_bias < 0.05 * narrowest, (start_bias, narrowest)

    table = "\n".join(f"{h:2d}h: theory {expected[h]:7.3f}  sim {ci}" for h, ci in enumerate(cis))
    assert outside(expected, cis) == [], table
    daily = t_interval(profiles.mean(axis=1), LEVEL)
    per_day = sum((b - a) * r for a, b, r in waves)
    assert daily.contains(per_day / 24 * dwell.mean()), daily  # Little's law over a day
    # Precise enough to mean something: every hour within 5% of the theory.
    assert all(ci.half_width < 0.05 * expected[h] for h, ci in enumerate(cis)), table


@pytest.mark.slow
@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param("dwell-mean+10%", id="dwell-mean-10pct-longer"),
        pytest.param("dwell-mean-10%", id="dwell-mean-10pct-shorter"),
        pytest.param("waves+1h", id="waves-one-hour-late"),
        pytest.param("stationary", id="no-waves-same-daily-volume"),
        pytest.param("exponential", id="exponential-dwell-same-mean"),
    ],
)
def test_wrong_theory_is_detected(wrong: str) -> None:
    """Power: the same intervals reject each plausible mistake in the model."""
    sc = scenario()
    dwell = sc.pickup.delay_hours
    assert isinstance(dwell, twin.Lognormal)
    waves = waves_of(sc)
    mu, sigma = dwell.mu_sigma
    if wrong == "dwell-mean+10%":
        occupancy = Occupancy(waves, twin.Lognormal(median=1.1 * math.exp(mu), sigma=sigma).sf)
    elif wrong == "dwell-mean-10%":
        occupancy = Occupancy(waves, twin.Lognormal(median=0.9 * math.exp(mu), sigma=sigma).sf)
    elif wrong == "waves+1h":
        occupancy = Occupancy(shifted(waves, 1.0), dwell.sf)
    elif wrong == "stationary":
        per_day = sum((b - a) * r for a, b, r in waves)
        occupancy = Occupancy([(0.0, 24.0, per_day / 24)], dwell.sf)
    else:
        occupancy = Occupancy(waves, twin.Exponential(mean=dwell.mean()).sf)
    rejected = outside(occupancy.hourly(), intervals(hourly_profiles()))
    assert len(rejected) >= 1, f"{wrong}: no hour rejects the wrong theory"
