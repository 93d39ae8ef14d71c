"""Statistical validation: one locker bank is an M/G/c/c loss system (Erlang B).

With Poisson arrivals at rate lambda, c identical compartments, dwell S (any
distribution, mean E[S]), no waiting room and overflow lost, the share of parcels that
find the bank full is Erlang B(c, A) with offered load A = lambda E[S] (DOMAIN.md
section 7), and by Little's law the mean occupancy is the carried load A (1 - B).

Method. Each case runs the ``erlang-loss-locker`` scenario for seeds 1..R; one run gives
one overflow rate and one mean occupancy, and the t-interval over the R independent runs
must contain the theory. All interval checks of this file form one family held at 95%
jointly (Bonferroni), so that a correct model passes every check with probability at
least 95% whatever the seeds; the intervals are therefore wider than single 95%
intervals, and the precision and negative-control tests show they remain narrow enough
to catch a wrong model.

Initial transient. Each run starts with an empty bank, which biases both the overflow
rate and the mean occupancy low by about (relaxation time) / horizon. With a mean dwell
of 1-2 h against a 28-day horizon the bias is a fraction of a percent; for the
exponential cases it is computed exactly (deviation matrix of the M/M/c/c chain) and
asserted to be small against the interval's half-width. Heavier-tailed dwell relaxes on
the scale of the mean residual dwell E[S^2] / (2 E[S]) (2.5 h for the lognormal below),
still negligible against 672 h.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import optimize
from stats_helpers import Interval, bonferroni, erlang_b, replicate, t_interval

import scenarios
import twin
from twin import Deterministic, Exponential, Gamma, Lognormal

SCENARIO = "erlang-loss-locker"
REPLICATIONS = 30  # seeds 1..30
DAYS = 28  # horizon of each run: 672 h against a mean dwell of 1-2 h
FAMILY_LEVEL = 0.95

# Precision the intervals must reach (else the checks could hardly fail): relative
# half-width of the overflow rate and of the mean occupancy.
MAX_RELATIVE_HALF_WIDTH_BLOCKING = 0.15
MAX_RELATIVE_HALF_WIDTH_OCCUPANCY = 0.03


@dataclass(frozen=True)
class Case:
    """``compartments`` identical compartments offered ``load`` erlangs with ``dwell``."""

    compartments: int
    load: float
    dwell: str = "{kind: exponential, mean: 1}"  # YAML for pickup.delay_hours

    @property
    def id(self) -> str:
        kind = self.dwell.split("kind:")[1].split(",")[0].strip()
        mean = self.dwell_distribution.mean()
        return f"c{self.compartments}-A{self.load:g}-{kind}-mean{mean:g}h"

    @functools.cached_property
    def dwell_distribution(self) -> twin.Distribution:
        return scenarios.load(SCENARIO, sets=self._fixed_sets()).pickup.delay_hours

    def _fixed_sets(self) -> list[str]:
        # Restate every assumption of the loss model, in case the built-in file drifts.
        return [
            f"lockers.banks.0.compartments.S={self.compartments}",
            "lockers.banks.0.compartments.M=0",
            "lockers.banks.0.compartments.L=0",
            "lockers.overflow=lost",
            "lockers.max_hold_hours=null",
            "lockers.fees={free_hours: 0, per_12h_cny: 0, cap_cny: 0}",
            "parcels.waves=[{start_hour: 0, end_hour: 24, share: 1}]",
            "parcels.channels={locker: 1, pickup_point: 0, doorstep: 0}",
            "calendar.weekday_multipliers=[1, 1, 1, 1, 1, 1, 1]",
            "pickup.forgotten_share=0",
            "pickup.pickup_seconds={kind: deterministic, value: 0}",
            f"pickup.delay_hours={self.dwell}",
        ]

    def sets(self) -> list[str]:
        """Overrides giving offered load ``load``: per-household rate from A = lambda E[S]."""
        base = scenarios.load(SCENARIO, sets=self._fixed_sets())
        households = scenarios.layout_of(base).total_households
        per_household_per_day = self.arrivals_per_hour * 24 / households
        return [*self._fixed_sets(), f"parcels.per_household_per_day={per_household_per_day!r}"]

    @property
    def arrivals_per_hour(self) -> float:
        return self.load / self.dwell_distribution.mean()


EXPONENTIAL_CASES = [
    Case(10, 8),
    Case(5, 2),
    Case(20, 15),
    Case(3, 2),
    Case(10, 8, "{kind: exponential, mean: 2}"),  # A = lambda E[S]: half the rate, twice the dwell
]
INSENSITIVITY_CASES = [
    Case(10, 8, "{kind: lognormal, mean: 1, sd: 2}"),
    Case(20, 15, "{kind: lognormal, mean: 1, sd: 2}"),
    Case(10, 8, "{kind: deterministic, value: 1}"),
    Case(3, 2, "{kind: gamma, shape: 0.5, scale: 2}"),  # mean 1 h, coefficient of variation 1.4
]
CASES = EXPONENTIAL_CASES + INSENSITIVITY_CASES
WRONG_MODELS = [
    # (model actually simulated, model whose Erlang B the check is told to expect)
    pytest.param(Case(9, 8), Case(10, 8), id="one-compartment-fewer"),
    pytest.param(Case(10, 9.6), Case(10, 8), id="load-20pct-higher"),
]
# Interval checks that a correct model must pass: per case the arrival rate, the overflow
# rate, the mean occupancy and the sample-path Little's law; per wrong model, its own B.
FAMILY_SIZE = 4 * len(CASES) + len(WRONG_MODELS)
LEVEL = bonferroni(FAMILY_LEVEL, FAMILY_SIZE)
HORIZON_HOURS = DAYS * 24


@functools.cache
def runs(case: Case) -> tuple[twin.Result, ...]:
    return tuple(replicate(SCENARIO, case.sets(), DAYS, REPLICATIONS))


def kpi(results: tuple[twin.Result, ...], name: str) -> np.ndarray:
    return np.array([r.kpis[name] for r in results])


def second_moment(dist: twin.Distribution) -> float:
    """E[S^2] of a dwell distribution, from its parameters."""
    if isinstance(dist, Exponential):
        return 2 * dist.mean() ** 2
    if isinstance(dist, Lognormal):
        mu, sigma = dist.mu_sigma
        return math.exp(2 * mu + 2 * sigma**2)
    if isinstance(dist, Gamma):
        return dist.shape * (dist.shape + 1) * dist.scale**2
    if isinstance(dist, Deterministic):
        return dist.value**2
    raise NotImplementedError(type(dist).__name__)


def mmcc_transient(servers: int, arrivals_per_hour: float, mean_hold: float) -> np.ndarray:
    """Integral over t of (P(N(t) = k) - pi_k), k = 0..c, for an M/M/c/c started empty.

    The deviation matrix: with Pi = 1 pi^T, (Pi - Q)^-1 = Pi + int_0^inf (e^{Qt} - Pi) dt,
    so the integral is e_0 (Pi - Q)^-1 - pi. Over a horizon T much longer than the
    relaxation time the expected time-average of any f(N) is E_pi f + (this . f) / T.
    """
    n = servers + 1
    q = np.zeros((n, n))
    for k in range(n):
        if k < servers:
            q[k, k + 1] = arrivals_per_hour
        if k > 0:
            q[k, k - 1] = k / mean_hold
        q[k, k] = -q[k].sum()
    load = arrivals_per_hour * mean_hold
    log_weights = np.array([k * math.log(load) - math.lgamma(k + 1) for k in range(n)])
    pi = np.exp(log_weights - log_weights.max())
    pi /= pi.sum()
    fundamental = np.linalg.inv(np.outer(np.ones(n), pi) - q)
    start = np.zeros(n)
    start[0] = 1.0
    return np.asarray(start @ fundamental - pi)


# -- the formula ---------------------------------------------------------------------------
# DOMAIN.md table 7a, as printed (significant digits as given).
DOMAIN_TABLE_7A = [
    (1, 1, "0.5000"),
    (2, 5, "0.6757"),
    (3, 2, "0.2105"),
    (5, 2, "0.03670"),
    (5, 8, "0.4790"),
    (8, 5, "0.07005"),
    (10, 8, "0.1217"),
    (10, 10, "0.2146"),
    (15, 8, "0.009101"),
    (15, 10, "0.03650"),
    (20, 20, "0.1589"),
    (30, 20, "0.008457"),
    (50, 50, "0.1048"),
    (60, 50, "0.02167"),
    (72, 50, "0.000668"),
]


def round_significant(x: float, digits: int) -> float:
    return float(f"{x:.{digits}g}")


def significant_digits(printed: str) -> int:
    return len(printed.replace(".", "").lstrip("0"))


@pytest.mark.parametrize(("servers", "load", "printed"), DOMAIN_TABLE_7A)
def test_erlang_b_reproduces_domain_table(servers: int, load: float, printed: str) -> None:
    value = erlang_b(servers, load)
    assert round_significant(value, significant_digits(printed)) == float(printed)


def test_erlang_b_grade_of_service_matches_external_reference() -> None:
    # erlang.com: 15 lines carry 8.108 Erl at 1% blocking (DOMAIN.md 7a, second table).
    load = optimize.brentq(lambda a: erlang_b(15, a) - 0.01, 1.0, 15.0, xtol=1e-12)
    assert round(load, 3) == 8.108
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(1, 1.0) == 0.5


def test_mmcc_transient_integral_is_consistent() -> None:
    deviation = mmcc_transient(10, 8.0, 1.0)
    assert abs(deviation.sum()) < 1e-9  # probabilities keep summing to one
    assert deviation[0] > 0 > deviation[-1]  # starting empty: more time empty, less full
    # Relaxation takes about one mean dwell: the full state is "missed" for under 2 h.
    assert -deviation[-1] / erlang_b(10, 8.0) < 2.0


# -- the simulation ------------------------------------------------------------------------
def blocking_interval(case: Case) -> Interval:
    return t_interval(kpi(runs(case), "lockers.overflow_rate"), LEVEL)


def check_erlang_b(case: Case) -> None:
    results = runs(case)
    dist = case.dwell_distribution
    assert math.isclose(case.arrivals_per_hour * dist.mean(), case.load)
    # Hold time is exactly the pickup delay: no walk (one building at the bank's site).
    assert np.all(kpi(results, "residents.walk_minutes_mean") == 0)
    # The runs really were Poisson at the intended rate (a wrong rate would bias B).
    rate = t_interval(kpi(results, "parcels.to_locker") / HORIZON_HOURS, LEVEL)
    assert rate.contains(case.arrivals_per_hour), f"{case.id}: arrival rate {rate}"

    theory = erlang_b(case.compartments, case.load)
    interval = blocking_interval(case)
    assert interval.contains(theory), f"{case.id}: Erlang B {theory:.5f} not in {interval}"
    # Precise enough to fail: half-width within 15% of B, and both neighbouring models
    # (one compartment fewer; 20% more load) lie outside the interval.
    assert interval.half_width < MAX_RELATIVE_HALF_WIDTH_BLOCKING * theory, interval
    assert not interval.contains(erlang_b(case.compartments - 1, case.load))
    assert not interval.contains(erlang_b(case.compartments, 1.2 * case.load))
    if isinstance(dist, Exponential):
        deviation = mmcc_transient(case.compartments, case.arrivals_per_hour, dist.mean())
        bias = deviation[-1] / HORIZON_HOURS
        assert abs(bias) < 0.25 * interval.half_width, (bias, interval)


@pytest.mark.slow
@pytest.mark.parametrize("case", EXPONENTIAL_CASES, ids=lambda c: c.id)
def test_overflow_rate_matches_erlang_b(case: Case) -> None:
    check_erlang_b(case)


@pytest.mark.slow
@pytest.mark.parametrize("case", INSENSITIVITY_CASES, ids=lambda c: c.id)
def test_overflow_rate_is_insensitive_to_dwell_distribution(case: Case) -> None:
    check_erlang_b(case)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_littles_law_on_locker(case: Case) -> None:
    """Mean occupancy = accepted arrival rate x mean dwell, in law and along each run.

    In law: L = lambda (1 - B) E[S]. Along a run started empty, with L^ the time-average
    occupancy over T, lambda^ the deposits per hour and W^ the mean completed dwell,
    T L^ = (sum of completed dwells) + (ages of parcels still in the bank at T), so
    L^ - lambda^ W^ = N(T) (mean age at T - W^) / T. The ages of parcels in an M/G/c/c
    system are i.i.d. with the equilibrium density P(S > u) / E[S] (insensitivity), of
    mean E[S^2] / (2 E[S]), hence E[L^ - lambda^ W^] = L (E[S^2] / (2 E[S]) - E[S]) / T:
    zero for exponential dwell, negative for deterministic, positive for heavy tails.
    """
    results = runs(case)
    dist = case.dwell_distribution
    blocking = erlang_b(case.compartments, case.load)
    carried = case.load * (1 - blocking)

    occupancy = kpi(results, "lockers.occupancy_mean")
    interval = t_interval(occupancy, LEVEL)
    assert interval.contains(carried), f"{case.id}: L = {carried:.4f} not in {interval}"
    assert interval.half_width < MAX_RELATIVE_HALF_WIDTH_OCCUPANCY * carried, interval
    # A dwell 5% too long (or too short) would be caught.
    assert not interval.contains(1.05 * carried) and not interval.contains(0.95 * carried)
    if isinstance(dist, Exponential):
        deviation = mmcc_transient(case.compartments, case.arrivals_per_hour, dist.mean())
        bias = float(deviation @ np.arange(case.compartments + 1)) / HORIZON_HOURS
        assert abs(bias) < 0.25 * interval.half_width, (bias, interval)

    accepted_per_hour = kpi(results, "parcels.deposited") / HORIZON_HOURS
    mean_dwell = kpi(results, "parcels.dwell_hours_mean")
    gap = t_interval(occupancy - accepted_per_hour * mean_dwell, LEVEL)
    mean_age = second_moment(dist) / (2 * dist.mean())
    expected_gap = carried * (mean_age - dist.mean()) / HORIZON_HOURS
    assert gap.contains(expected_gap), f"{case.id}: {expected_gap:.5f} not in {gap}"
    # The sample-path identity is sharp: an occupancy integral off by 1% would show.
    assert gap.half_width < 0.01 * carried, gap


@pytest.mark.slow
@pytest.mark.parametrize(("simulated", "claimed"), WRONG_MODELS)
def test_wrong_model_is_detected(simulated: Case, claimed: Case) -> None:
    """Negative control: the Erlang B check rejects a model that differs from the claim."""
    interval = blocking_interval(simulated)
    claimed_b = erlang_b(claimed.compartments, claimed.load)
    assert not interval.contains(claimed_b), f"B = {claimed_b:.5f} inside {interval}"
    # ... while the simulated model itself passes the same check.
    assert interval.contains(erlang_b(simulated.compartments, simulated.load)), interval
