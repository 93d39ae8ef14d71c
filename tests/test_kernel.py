"""Unit tests of the kernel (``twin``): streams, distributions, calendar, arrivals,
probes and topology.

Statistical checks use fixed seeds, so they are deterministic; their tolerances are
confidence bounds derived from the distribution (five standard errors), not numbers
read off a run, so a wrong ``mean()``/``sf()`` or a biased sampler fails them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Generator

import networkx as nx
import numpy as np
import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

import twin

# -- Streams -------------------------------------------------------------------------------


def test_streams_same_name_same_seed_gives_same_draws_in_fresh_instances() -> None:
    a = twin.Streams(7)("parcels.arrivals").random(50)
    b = twin.Streams(7)("parcels.arrivals").random(50)
    np.testing.assert_array_equal(a, b)


def test_streams_return_the_same_generator_object_within_a_run() -> None:
    streams = twin.Streams(3)
    first = streams("x")
    first.random(10)
    again = streams("x")
    assert again is first
    # The cached generator continues where it stopped; it is not re-seeded.
    fresh = twin.Streams(3)("x")
    fresh.random(10)
    assert again.random() == fresh.random()


def test_streams_do_not_depend_on_creation_order_or_other_streams_use() -> None:
    forward = twin.Streams(11)
    forward("a").random(1000)
    forward("b").random(3)
    backward = twin.Streams(11)
    b_first = backward("b").random(3)
    a_second = backward("a").random(1000)
    np.testing.assert_array_equal(twin.Streams(11)("b").random(3), b_first)
    np.testing.assert_array_equal(twin.Streams(11)("a").random(1000), a_second)
    assert backward.names == ("a", "b")


def test_streams_with_different_names_or_seeds_differ() -> None:
    streams = twin.Streams(7)
    arrivals = streams("parcels.arrivals").random(20)
    fire = streams("hazards.fire").random(20)
    assert not np.array_equal(arrivals, fire)
    other_seed = twin.Streams(8)("parcels.arrivals").random(20)
    assert not np.array_equal(arrivals, other_seed)
    # Names that differ only slightly still give unrelated streams.
    close = twin.Streams(7)("parcels.arrivals ").random(20)
    assert not np.array_equal(arrivals, close)


def test_streams_accept_numpy_and_large_integer_seeds() -> None:
    np.testing.assert_array_equal(
        twin.Streams(np.int64(5))("s").random(5), twin.Streams(5)("s").random(5)
    )
    big = twin.Streams(2**100)("s").random(5)
    assert not np.array_equal(big, twin.Streams(0)("s").random(5))


@pytest.mark.parametrize("seed", [-1, 1.5, True, "3", None, 2.0])
def test_streams_reject_invalid_seeds(seed: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        twin.Streams(seed)  # type: ignore[arg-type]


# -- Distributions -------------------------------------------------------------------------

ADAPTER: TypeAdapter[twin.Distribution] = TypeAdapter(twin.Distribution)

# Each case: scenario-style data, and analytic (mean, variance) derived from the
# parameters independently of the library's own ``mean()``.
_WEIBULL_MEAN = 4.0 * math.gamma(1 + 1 / 1.5)
_WEIBULL_VAR = 16.0 * (math.gamma(1 + 2 / 1.5) - math.gamma(1 + 1 / 1.5) ** 2)
_LN_MEAN = 8.0 * math.exp(0.5**2 / 2)
_LN_VAR = (math.exp(0.5**2) - 1) * _LN_MEAN**2
DISTRIBUTION_CASES = [
    ({"kind": "exponential", "mean": 2.5}, 2.5, 2.5**2),
    ({"kind": "lognormal", "median": 8.0, "sigma": 0.5}, _LN_MEAN, _LN_VAR),
    ({"kind": "lognormal", "mean": 3.0, "sd": 1.5}, 3.0, 1.5**2),
    ({"kind": "gamma", "shape": 2.0, "scale": 3.0}, 6.0, 2.0 * 9.0),
    ({"kind": "weibull", "shape": 1.5, "scale": 4.0}, _WEIBULL_MEAN, _WEIBULL_VAR),
    (
        {"kind": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0},
        3.0,
        (1 + 4 + 36 - 2 - 6 - 12) / 18,
    ),
    ({"kind": "uniform", "low": 6.0, "high": 12.0}, 9.0, 36 / 12),
    ({"kind": "deterministic", "value": 4.0}, 4.0, 0.0),
    ({"kind": "empirical", "values": [1.0, 2.0, 2.0, 7.0]}, 3.0, (4 + 1 + 1 + 16) / 4),
]
_IDS = [f"{case[0]['kind']}-{i}" for i, case in enumerate(DISTRIBUTION_CASES)]
N_SAMPLES = 200_000


@pytest.mark.parametrize(("data", "mean", "var"), DISTRIBUTION_CASES, ids=_IDS)
def test_distribution_mean_matches_analytic_value(data: dict, mean: float, var: float) -> None:
    dist = ADAPTER.validate_python(data)
    assert dist.kind == data["kind"]
    assert dist.mean() == pytest.approx(mean, rel=1e-12)


@pytest.mark.parametrize(("data", "mean", "var"), DISTRIBUTION_CASES, ids=_IDS)
def test_distribution_sample_mean_within_confidence_interval(
    data: dict, mean: float, var: float
) -> None:
    dist = ADAPTER.validate_python(data)
    sample = dist.sample(np.random.default_rng(20260302), N_SAMPLES)
    assert sample.shape == (N_SAMPLES,)
    assert np.all(sample >= 0)
    half_width = 5 * math.sqrt(var / N_SAMPLES)
    assert abs(sample.mean() - dist.mean()) <= half_width
    if var > 0:
        # The spread is right too (a sampler with the right mean but wrong shape fails).
        assert sample.var() == pytest.approx(var, rel=0.05)
    else:
        assert np.all(sample == mean)


@pytest.mark.parametrize(("data", "mean", "var"), DISTRIBUTION_CASES, ids=_IDS)
def test_distribution_sf_matches_empirical_survival(data: dict, mean: float, var: float) -> None:
    dist = ADAPTER.validate_python(data)
    sample = dist.sample(np.random.default_rng(618), N_SAMPLES)
    points = np.array([0.25, 0.5, 0.9, 1.0, 1.3, 2.0, 3.0]) * mean
    analytic = np.asarray(dist.sf(points), dtype=float)
    assert analytic.shape == points.shape
    assert np.all((analytic >= 0) & (analytic <= 1))
    assert np.all(np.diff(analytic) <= 1e-12), "survival function must not increase"
    empirical = (sample[:, None] > points[None, :]).mean(axis=0)
    bound = 5 * np.sqrt(analytic * (1 - analytic) / N_SAMPLES) + 1e-3
    np.testing.assert_array_less(np.abs(empirical - analytic), bound)


def test_sf_below_zero_is_one_for_continuous_positive_distributions() -> None:
    for data, _, _ in DISTRIBUTION_CASES[:5]:
        dist = ADAPTER.validate_python(data)
        assert float(np.asarray(dist.sf(np.array([-1.0])))[0]) == pytest.approx(1.0)


def test_empirical_and_deterministic_sf_exact_values() -> None:
    empirical = ADAPTER.validate_python({"kind": "empirical", "values": [5, 1, 2, 2]})
    got = empirical.sf(np.array([0.0, 1.0, 1.5, 2.0, 4.9, 5.0]))
    np.testing.assert_allclose(got, [1.0, 0.75, 0.75, 0.25, 0.25, 0.0])
    fixed = ADAPTER.validate_python({"kind": "deterministic", "value": 3})
    np.testing.assert_array_equal(fixed.sf(np.array([2.999, 3.0, 3.1])), [1.0, 0.0, 0.0])
    point = ADAPTER.validate_python({"kind": "uniform", "low": 2, "high": 2})
    np.testing.assert_array_equal(point.sf(np.array([1.9, 2.0, 2.1])), [1.0, 0.0, 0.0])
    assert point.mean() == 2


def test_lognormal_by_median_sigma_and_by_mean_sd_agree() -> None:
    median, sigma = 8.0, 1.0
    by_median = twin.Lognormal(median=median, sigma=sigma)
    mean = median * math.exp(sigma**2 / 2)
    sd = mean * math.sqrt(math.exp(sigma**2) - 1)
    by_mean = ADAPTER.validate_python({"kind": "lognormal", "mean": mean, "sd": sd})
    assert by_mean.mean() == pytest.approx(by_median.mean(), rel=1e-12)
    assert by_mean.mean() == pytest.approx(mean, rel=1e-12)
    mu_a, sigma_a = by_median.mu_sigma
    mu_b, sigma_b = by_mean.mu_sigma
    assert mu_a == pytest.approx(math.log(median))
    assert (mu_b, sigma_b) == pytest.approx((mu_a, sigma_a), rel=1e-12)
    x = np.array([1.0, 8.0, 30.0])
    np.testing.assert_allclose(by_mean.sf(x), by_median.sf(x), rtol=1e-10)
    assert float(by_median.sf(np.array([median]))[0]) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "exponential", "mean": 0},
        {"kind": "exponential", "mean": -1},
        {"kind": "exponential", "mean": float("nan")},
        {"kind": "exponential", "mean": float("inf")},
        {"kind": "exponential"},
        {"kind": "lognormal", "median": 8},
        {"kind": "lognormal", "median": 8, "sigma": 1, "mean": 3, "sd": 1},
        {"kind": "lognormal", "median": 8, "sd": 1},
        {"kind": "lognormal", "mean": 3, "sigma": 1},
        {"kind": "lognormal", "median": 8, "sigma": 0},
        {"kind": "gamma", "shape": 0, "scale": 1},
        {"kind": "gamma", "shape": 1, "scale": -1},
        {"kind": "weibull", "shape": 1.5, "scale": 0},
        {"kind": "triangular", "low": 3, "mode": 2, "high": 6},
        {"kind": "triangular", "low": 1, "mode": 7, "high": 6},
        {"kind": "triangular", "low": 2, "mode": 2, "high": 2},
        {"kind": "uniform", "low": 5, "high": 4},
        {"kind": "uniform", "low": -1, "high": 4},
        {"kind": "deterministic", "value": -0.5},
        {"kind": "empirical", "values": []},
        {"kind": "empirical", "values": [1, -2]},
        {"kind": "exponential", "mean": 1, "rate": 2},
        {"kind": "normal", "mean": 1, "sd": 1},
        {"mean": 1},
    ],
    ids=lambda d: "-".join(f"{k}={v}" for k, v in d.items()),
)
def test_distribution_rejects_bad_parameters(data: dict) -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python(data)


def test_distributions_are_frozen() -> None:
    dist = ADAPTER.validate_python({"kind": "gamma", "shape": 2, "scale": 1})
    with pytest.raises(ValidationError):
        dist.shape = 3  # type: ignore[misc]


# -- Calendar ------------------------------------------------------------------------------

START = dt.datetime(2026, 3, 2)  # a Monday


def test_time_units() -> None:
    assert twin.MINUTE == 60 and twin.HOUR == 60 * 60 and twin.DAY == 24 * 60 * 60
    assert twin.days(2.5) == 2.5 * 86400
    assert twin.hours(3) == 3 * 3600


def test_calendar_to_datetime_examples() -> None:
    calendar = twin.Calendar(start=START)
    assert calendar.to_datetime(0) == START
    assert calendar.to_datetime(twin.days(1) + twin.hours(2.5)) == dt.datetime(2026, 3, 3, 2, 30)
    assert calendar.to_seconds(dt.datetime(2026, 3, 9)) == 7 * 86400
    assert calendar.date_of(twin.days(6) + twin.hours(23.99)) == dt.date(2026, 3, 8)
    assert calendar.hour_of_day(twin.hours(26.5)) == pytest.approx(2.5)
    # Tuesday (weekday 1) at 05:00 is hour 24 + 5 of the week.
    assert calendar.hour_of_week(twin.days(1) + twin.hours(5.5)) == 29
    assert calendar.midnight_before(twin.days(3) + twin.hours(7)) == twin.days(3)


@given(st.floats(min_value=0, max_value=10 * 365 * 86400, allow_nan=False))
def test_calendar_seconds_round_trip(t: float) -> None:
    calendar = twin.Calendar(start=START)
    # datetimes have microsecond resolution: the round trip is exact to half a microsecond.
    assert abs(calendar.to_seconds(calendar.to_datetime(t)) - t) <= 0.5e-6 + 1e-9 * t / 86400


@given(st.datetimes(min_value=dt.datetime(2016, 1, 1), max_value=dt.datetime(2036, 1, 1)))
def test_calendar_datetime_round_trip(when: dt.datetime) -> None:
    calendar = twin.Calendar(start=START)
    assert calendar.to_datetime(calendar.to_seconds(when)) == when


def _calendar_with_everything() -> twin.Calendar:
    return twin.Calendar(
        start=dt.datetime(2026, 11, 2),
        weekday_multipliers=(1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6),
        holidays=(
            twin.Holiday(date=dt.date(2026, 11, 11), name="singles", multiplier=0.5),
            twin.Holiday(date=dt.date(2026, 11, 20), name="a", multiplier=0.5),
            twin.Holiday(date=dt.date(2026, 11, 20), name="b", multiplier=0.4),
        ),
        festivals=(
            twin.Festival(
                name="double-11",
                start=dt.date(2026, 11, 9),
                end=dt.date(2026, 11, 15),
                multiplier=2.5,
            ),
            twin.Festival(
                name="overlap", start=dt.date(2026, 11, 15), end=dt.date(2026, 11, 15), multiplier=2
            ),
        ),
    )


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (dt.date(2026, 11, 4), 1.2),  # Wednesday, nothing else
        (dt.date(2026, 11, 8), 1.6),  # Sunday before the festival
        (dt.date(2026, 11, 9), 1.0 * 2.5),  # Monday, festival's first day (inclusive)
        (dt.date(2026, 11, 11), 1.2 * 0.5 * 2.5),  # Wednesday x holiday x festival
        (dt.date(2026, 11, 15), 1.6 * 2.5 * 2),  # Sunday, last day, two festivals
        (dt.date(2026, 11, 16), 1.0),  # the day after
        (dt.date(2026, 11, 20), 1.4 * 0.5 * 0.4),  # Friday with two holidays
    ],
)
def test_calendar_multiplier_is_weekday_times_holiday_times_festival(
    date: dt.date, expected: float
) -> None:
    assert _calendar_with_everything().multiplier(date) == pytest.approx(expected, rel=1e-12)


def test_calendar_validation() -> None:
    with pytest.raises(ValidationError, match="end is before"):
        twin.Festival(name="x", start=dt.date(2026, 6, 20), end=dt.date(2026, 6, 16), multiplier=2)
    one_day = twin.Festival(
        name="x", start=dt.date(2026, 6, 16), end=dt.date(2026, 6, 16), multiplier=2
    )
    assert one_day.start == one_day.end
    with pytest.raises(ValidationError):
        twin.Calendar(weekday_multipliers=(1.0,) * 6)
    with pytest.raises(ValidationError):
        twin.Calendar(weekday_multipliers=(1.0,) * 6 + (-0.1,))
    with pytest.raises(ValidationError):
        twin.Calendar(start=dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    with pytest.raises(ValidationError):
        twin.Holiday(date=dt.date(2026, 1, 1), multiplier=-1)
    with pytest.raises(ValidationError):
        twin.Calendar(unknown=1)  # type: ignore[call-arg]


# -- Arrivals ------------------------------------------------------------------------------

BREAKS = (0.0, 2.0, 5.0, 6.0, 9.0)
RATES = (3.0, 0.5, 10.0, 0.0)


def test_piecewise_poisson_counts_have_poisson_means() -> None:
    rng = np.random.default_rng(12345)
    draws = 4000
    counts = np.zeros((draws, len(RATES)))
    for i in range(draws):
        times = twin.piecewise_poisson(rng, BREAKS, RATES)
        counts[i] = np.histogram(times, bins=BREAKS)[0]
    expected = np.array(
        [r * (hi - lo) for lo, hi, r in zip(BREAKS, BREAKS[1:], RATES, strict=False)]
    )
    total = counts.sum(axis=1)
    assert abs(total.mean() - expected.sum()) <= 5 * math.sqrt(expected.sum() / draws)
    # Poisson: variance equals the mean (within a generous bound for a sample variance).
    assert total.var() == pytest.approx(expected.sum(), rel=0.1)
    for piece in range(len(RATES)):
        bound = 5 * math.sqrt(max(expected[piece], 1e-12) / draws)
        assert abs(counts[:, piece].mean() - expected[piece]) <= bound
    assert counts[:, 3].sum() == 0  # zero rate: no arrivals at all


def test_piecewise_poisson_times_sorted_inside_pieces_and_uniform() -> None:
    rng = np.random.default_rng(7)
    positions = []
    for _ in range(300):
        times = twin.piecewise_poisson(rng, BREAKS, RATES)
        assert np.all(np.diff(times) >= 0)
        assert np.all((times >= BREAKS[0]) & (times < BREAKS[-1]))
        assert not np.any(times >= 6.0)  # the last piece has rate zero
        in_piece = times[(times >= 5.0) & (times < 6.0)]
        positions.extend(in_piece - 5.0)
    # Given the count, times are uniform on the piece: mean position 1/2, sd 1/sqrt(12).
    positions_arr = np.asarray(positions)
    assert positions_arr.size > 2000
    assert abs(positions_arr.mean() - 0.5) <= 5 / math.sqrt(12 * positions_arr.size)


def test_arrivals_edge_cases() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="breakpoint"):
        twin.piecewise_poisson(rng, (0.0, 1.0), (1.0, 2.0))
    assert twin.piecewise_poisson(rng, (0.0,), ()).size == 0
    assert twin.poisson_times(rng, 5.0, 5.0, 100.0).size == 0
    assert twin.poisson_times(rng, 5.0, 4.0, 100.0).size == 0
    assert twin.poisson_times(rng, 0.0, 10.0, 0.0).size == 0
    times = twin.poisson_times(rng, 100.0, 200.0, 2.0)
    assert times.size > 0 and times.min() >= 100.0 and times.max() < 200.0


def test_arrivals_are_reproducible_from_a_named_stream() -> None:
    a = twin.piecewise_poisson(twin.Streams(4)("parcels.arrivals"), BREAKS, RATES)
    b = twin.piecewise_poisson(twin.Streams(4)("parcels.arrivals"), BREAKS, RATES)
    np.testing.assert_array_equal(a, b)


# -- Probes --------------------------------------------------------------------------------


def test_counter() -> None:
    counter = twin.Counter()
    counter.add()
    counter.add(4)
    assert counter.value == 5


def test_level_time_average_and_hourly_means_by_hand() -> None:
    h = twin.HOUR
    level = twin.Level(start=0.0, initial=0.0, bucket=h)
    level.set(0.5 * h, 2.0)  # 0 on [0, 0.5h)
    level.set(2.5 * h, 5.0)  # 2 on [0.5h, 2.5h): crosses the 1h and 2h boundaries
    level.add(3.25 * h, -4.0)  # 5 on [2.5h, 3.25h): crosses 3h; then 1
    level.add(3.25 * h, 0.0)  # a zero-length step changes nothing
    now = 3.5 * h  # 1 on [3.25h, 3.5h)
    # Hour 0: 0*0.5 + 2*0.5 = 1.0; hour 1: 2; hour 2: 2*0.5 + 5*0.5 = 3.5;
    # hour 3 (half an hour so far): (5*0.25 + 1*0.25) / 0.5 = 3.0.
    np.testing.assert_allclose(level.bucket_means(now), [1.0, 2.0, 3.5, 3.0])
    # Whole-span average: area (1 + 2 + 3.5 + 1.5) h / 3.5 h.
    assert level.mean(now) == pytest.approx(8.0 / 3.5)
    assert level.peak == 5.0
    assert level.value == 1.0
    # Ending exactly on an hour boundary gives whole hours only, no empty partial bucket.
    np.testing.assert_allclose(level.bucket_means(4 * h), [1.0, 2.0, 3.5, (1.5 + 0.5) / 1.0])
    assert level.mean(4 * h) == pytest.approx(8.5 / 4)


def test_level_skipping_many_empty_hours_and_offset_start() -> None:
    h = twin.HOUR
    # Buckets stay on the origin's hours: the first covers [10 s, 1 h), averaged over it.
    level = twin.Level(start=10.0, initial=3.0, bucket=h, origin=0.0)
    assert level.first_bucket == 0
    level.set(10.0 + 5 * h, 0.0)
    # Hour 5 holds 3 for 10 s then 0; the last (partial) hour [6 h, 6 h + 10 s) holds 0.
    np.testing.assert_allclose(level.bucket_means(10.0 + 6 * h), [3, 3, 3, 3, 3, 30 / h, 0])
    assert level.mean(10.0 + 6 * h) == pytest.approx(15 / 6)
    # A level created in hour 2 of the run starts its series at bucket 2.
    late = twin.Level(start=2.5 * h, initial=4.0, bucket=h, origin=0.0)
    assert late.first_bucket == 2
    np.testing.assert_allclose(late.bucket_means(4 * h), [4.0, 4.0])


def test_world_series_of_a_late_level_is_labelled_with_its_own_hours() -> None:
    calendar = twin.Calendar()
    world = twin.World(seed=1, calendar=calendar, horizon=twin.days(1))

    def late_probe() -> Generator[simpy.Event, None, None]:
        yield world.env.timeout(5000.0)  # 1 h 23 min 20 s into the run
        world.level("late", initial=2.0)

    world.env.process(late_probe())
    world.env.run(until=3 * twin.HOUR)
    frame = world.series_frame()
    times = list(frame.loc[frame["series"] == "late", "time"])
    assert times == [calendar.start + dt.timedelta(hours=h) for h in (1, 2)]
    assert list(frame.loc[frame["series"] == "late", "value"]) == [2.0, 2.0]


def test_level_rejects_time_going_backwards() -> None:
    level = twin.Level()
    level.set(100.0, 1.0)
    with pytest.raises(ValueError, match="backwards"):
        level.set(99.0, 2.0)
    assert level.mean(100.0) == 0.0  # the value was 0 until t = 100


@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=200),
    st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=5),
)
def test_tally_exact_quantiles_equal_numpy(values: list[float], qs: list[float]) -> None:
    tally = twin.Tally()
    for x in values:
        tally.add(x)
    data = np.asarray(values)
    assert tally.exact
    assert tally.count == len(values)
    assert tally.min == data.min() and tally.max == data.max()
    assert tally.mean() == pytest.approx(data.mean(), abs=1e-6 * (1 + np.abs(data).max()))
    for q in qs:
        assert tally.quantile(q) == np.quantile(data, q)
    values, weights = tally.points()
    np.testing.assert_array_equal(values, np.sort(data))
    assert (weights == 1).all()


def test_tally_edge_cases() -> None:
    with pytest.raises(ValueError):
        twin.Tally(exact_limit=0)
    empty = twin.Tally()
    assert math.isnan(empty.mean()) and math.isnan(empty.quantile(0.5))
    with pytest.raises(ValueError):
        empty.quantile(1.5)
    with pytest.raises(ValueError):
        empty.quantile(-0.1)


def test_tally_switches_to_sketch_past_exact_limit_with_small_error() -> None:
    rng = np.random.default_rng(99)
    data = rng.lognormal(np.log(8.0), 1.0, 20_000)
    tally = twin.Tally(exact_limit=1000)
    for x in data[:1000]:
        tally.add(float(x))
    assert tally.exact  # exactly at the limit: still exact
    tally.add(float(data[1000]))
    assert not tally.exact
    for x in data[1001:]:
        tally.add(float(x))
    assert tally.count == data.size
    assert tally.mean() == pytest.approx(data.mean(), rel=1e-9)  # the mean stays exact
    assert tally.min == data.min() and tally.max == data.max()
    for q in (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
        assert tally.quantile(q) == pytest.approx(np.quantile(data, q), rel=0.01)


@given(
    st.lists(st.floats(min_value=1e-3, max_value=1e6), min_size=3, max_size=300),
    st.floats(min_value=0, max_value=1),
)
def test_tally_sketch_quantile_within_one_percent_of_order_statistic(
    values: list[float], q: float
) -> None:
    tally = twin.Tally(exact_limit=2)
    for x in values:
        tally.add(x)
    assert not tally.exact
    # The sketch reports the bucket of order statistic floor(q * (n - 1)): numpy's "lower".
    expected = float(np.quantile(np.asarray(values), q, method="lower"))
    assert tally.quantile(q) == pytest.approx(expected, rel=0.01)


def test_tally_sketch_keeps_negative_and_zero_values() -> None:
    tally = twin.Tally(exact_limit=1)
    for x in (-5.0, -3.0, 0.0, -1.0, 2.0):
        tally.add(x)
    assert not tally.exact
    assert tally.quantile(0.0) == pytest.approx(-5.0, rel=0.01)
    assert tally.quantile(0.25) == pytest.approx(-3.0, rel=0.01)
    assert tally.quantile(0.5) == pytest.approx(-1.0, rel=0.01)
    assert tally.quantile(0.75) == 0.0
    assert tally.quantile(1.0) == pytest.approx(2.0, rel=0.01)
    histogram = tally.histogram(bins=7, upper=2.0)
    assert sum(histogram["count"]) == 5
    assert histogram["lower"][0] == -5.0


def test_tally_memory_stops_growing_in_sketch_mode() -> None:
    rng = np.random.default_rng(5)
    low, high = 0.01, 1000.0
    tally = twin.Tally(exact_limit=500)
    # Log-uniform values hit every bucket of the range early on.
    for x in np.exp(rng.uniform(math.log(low), math.log(high), 600)):
        tally.add(float(x))
    assert tally._values is None  # the raw observations were released
    # Buckets are powers of GAMMA: values in [low, high] occupy at most this many keys.
    max_buckets = math.ceil(math.log(high / low, tally.GAMMA)) + 2
    sizes = []
    for _ in range(5):
        for x in np.exp(rng.uniform(math.log(low), math.log(high), 20_000)):
            tally.add(float(x))
        sizes.append(len(tally._positive) + len(tally._negative))
        assert tally.points()[0].size == sizes[-1]  # histograms use buckets, not observations
        assert tally._values is None
    assert max(sizes) <= max_buckets
    assert sizes[-1] == sizes[-2]  # more observations in the same range: no new storage
    assert tally.count == 600 + 5 * 20_000


# -- Topology ------------------------------------------------------------------------------


def _grid_spec(rows: int = 3, per_row: int = 4, spacing: float = 25.0) -> twin.LayoutSpec:
    return twin.LayoutSpec(
        walking_speed_m_per_s=1.25,
        buildings=twin.BuildingGrid(rows=rows, per_row=per_row, spacing_m=spacing, households=10),
        sites=(twin.Point(name="lockers", x=-10, y=0),),
        entrances=(twin.Point(name="gate", x=75, y=60),),
    )


def test_grid_layout_nodes_and_distances() -> None:
    layout = twin.Layout.from_spec(_grid_spec())
    assert len(layout.buildings) == 12
    assert layout.sites == ("lockers",)
    assert layout.entrances == ("gate",)
    assert layout.total_households == 120
    assert layout.households("B02-03") == 10
    # Buildings are on a 25 m grid with paths along rows and columns: Manhattan distance.
    assert layout.distance_m("B01-01", "B03-04") == pytest.approx((2 + 3) * 25)
    # The site at (-10, 0) joins its nearest building B01-01 at (0, 0) by a 10 m path;
    # the gate at (75, 60) joins B03-04 at (75, 50) by a 10 m path.
    assert layout.distance_m("lockers", "B01-01") == pytest.approx(10)
    assert layout.distance_m("lockers", "B03-04") == pytest.approx(10 + 125)
    assert layout.distance_m("gate", "lockers") == pytest.approx(10 + 125 + 10)
    assert layout.walk_seconds("gate", "lockers") == pytest.approx(145 / 1.25)
    assert layout.distance_m("B02-02", "B02-02") == 0


@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.floats(min_value=1, max_value=500),
    st.data(),
)
def test_grid_layout_distance_is_manhattan(
    rows: int, per_row: int, spacing: float, data: st.DataObject
) -> None:
    layout = twin.Layout.from_spec(
        twin.LayoutSpec(
            buildings=twin.BuildingGrid(rows=rows, per_row=per_row, spacing_m=spacing, households=3)
        )
    )
    r1, r2 = data.draw(st.integers(1, rows)), data.draw(st.integers(1, rows))
    c1, c2 = data.draw(st.integers(1, per_row)), data.draw(st.integers(1, per_row))
    expected = spacing * (abs(r1 - r2) + abs(c1 - c2))
    got = layout.distance_m(f"B{r1:02d}-{c1:02d}", f"B{r2:02d}-{c2:02d}")
    assert got == pytest.approx(expected)
    assert layout.total_households == 3 * rows * per_row


def test_layout_errors_for_unknown_nodes_and_bad_specs() -> None:
    layout = twin.Layout.from_spec(_grid_spec())
    with pytest.raises(twin.LayoutError, match="nowhere"):
        layout.distance_m("B01-01", "nowhere")
    with pytest.raises(twin.LayoutError):
        twin.Layout.from_spec(twin.LayoutSpec())
    duplicate = twin.LayoutSpec(
        buildings=twin.BuildingGrid(rows=1, per_row=1, spacing_m=1, households=1),
        sites=(twin.Point(name="B01-01", x=0, y=0),),
    )
    with pytest.raises(twin.LayoutError, match="B01-01"):
        twin.Layout.from_spec(duplicate)
    with pytest.raises(twin.LayoutError, match="no nodes"):
        twin.Layout(nx.Graph())
    only_site = nx.Graph()
    only_site.add_node("s", kind="site")
    with pytest.raises(twin.LayoutError, match="no building"):
        twin.Layout(only_site)


def _small_graph() -> nx.Graph:
    graph = nx.Graph()
    graph.add_node("tower-1", kind="building", households=30, floors=18, x=0.0, y=0.0)
    graph.add_node("tower-2", kind="building", households=12, floors=6, x=80.0, y=0.0)
    graph.add_node("hub", kind="junction", x=40.0, y=10.0)
    graph.add_node("lockers-a", kind="site", x=40.0, y=30.0)
    graph.add_node("gate", kind="entrance", x=40.0, y=-20.0)
    graph.add_edge("tower-1", "hub", length_m=50.0)
    graph.add_edge("hub", "tower-2", length_m=30.0)
    graph.add_edge("hub", "lockers-a", length_m=20.5)
    graph.add_edge("hub", "gate", length_m=31.0)
    graph.add_edge("tower-1", "tower-2", length_m=100.0)  # longer than via the hub
    return graph


def test_graphml_round_trip(tmp_path) -> None:
    original = _small_graph()
    path = tmp_path / "compound.graphml"
    nx.write_graphml(original, path)
    layout = twin.Layout.from_graphml(path, walking_speed_m_per_s=1.0)
    assert set(layout.buildings) == {"tower-1", "tower-2"}
    assert layout.sites == ("lockers-a",)
    assert layout.entrances == ("gate",)
    assert layout.households("tower-1") == 30
    assert isinstance(layout.households("tower-2"), int)
    assert layout.total_households == 42
    for a in original.nodes:
        for b in original.nodes:
            expected = nx.shortest_path_length(original, a, b, weight="length_m")
            assert layout.distance_m(a, b) == pytest.approx(expected)
    assert layout.distance_m("tower-1", "tower-2") == pytest.approx(80.0)
    assert layout.walk_seconds("tower-2", "lockers-a") == pytest.approx(50.5)
    # The same file through a LayoutSpec, with a path relative to the scenario directory.
    via_spec = twin.Layout.from_spec(
        twin.LayoutSpec(graphml="compound.graphml", walking_speed_m_per_s=2.0), base_dir=tmp_path
    )
    assert via_spec.walk_seconds("tower-1", "lockers-a") == pytest.approx(70.5 / 2.0)


def _write(graph: nx.Graph, tmp_path, name: str = "bad.graphml"):
    path = tmp_path / name
    nx.write_graphml(graph, path)
    return path


def test_graphml_node_missing_kind_is_named(tmp_path) -> None:
    graph = _small_graph()
    del graph.nodes["hub"]["kind"]
    with pytest.raises(twin.LayoutError, match=r"'hub'.*kind"):
        twin.Layout.from_graphml(_write(graph, tmp_path))


def test_graphml_node_with_unknown_kind_is_named(tmp_path) -> None:
    graph = _small_graph()
    graph.nodes["hub"]["kind"] = "tunnel"
    with pytest.raises(twin.LayoutError, match=r"'hub'.*kind"):
        twin.Layout.from_graphml(_write(graph, tmp_path))


def test_graphml_building_missing_households_is_named(tmp_path) -> None:
    graph = _small_graph()
    del graph.nodes["tower-2"]["households"]
    with pytest.raises(twin.LayoutError, match=r"'tower-2'.*households"):
        twin.Layout.from_graphml(_write(graph, tmp_path))


@pytest.mark.parametrize("households", [0, -3, 2.5, "many"])
def test_graphml_non_positive_households_is_named(tmp_path, households: object) -> None:
    graph = _small_graph()
    graph.nodes["tower-2"]["households"] = households
    graph.nodes["tower-1"]["households"] = households  # one attribute type per GraphML key
    with pytest.raises(twin.LayoutError, match=r"'tower-[12]'.*households"):
        twin.Layout.from_graphml(_write(graph, tmp_path))


def test_graphml_negative_edge_length_names_the_edge(tmp_path) -> None:
    graph = _small_graph()
    graph.edges["hub", "lockers-a"]["length_m"] = -5.0
    with pytest.raises(twin.LayoutError) as caught:
        twin.Layout.from_graphml(_write(graph, tmp_path))
    message = str(caught.value)
    assert "hub" in message and "lockers-a" in message and "length_m" in message


def test_graphml_missing_edge_length_names_the_edge(tmp_path) -> None:
    graph = _small_graph()
    del graph.edges["hub", "gate"]["length_m"]
    with pytest.raises(twin.LayoutError) as caught:
        twin.Layout.from_graphml(_write(graph, tmp_path))
    assert "hub" in str(caught.value) and "gate" in str(caught.value)


def test_graphml_disconnected_graph_is_rejected(tmp_path) -> None:
    graph = _small_graph()
    graph.add_node("island", kind="building", households=4, floors=2, x=900.0, y=900.0)
    with pytest.raises(twin.LayoutError, match="not connected"):
        twin.Layout.from_graphml(_write(graph, tmp_path))
    # The same graph with one more path is accepted: it was the disconnection that failed.
    graph.add_edge("island", "gate", length_m=1000.0)
    layout = twin.Layout.from_graphml(_write(graph, tmp_path, "ok.graphml"))
    assert layout.total_households == 46


def test_graphml_unreadable_files(tmp_path) -> None:
    with pytest.raises(twin.LayoutError, match="GraphML"):
        twin.Layout.from_graphml(tmp_path / "missing.graphml")
    garbage = tmp_path / "garbage.graphml"
    garbage.write_text("<graphml><node", encoding="utf-8")
    with pytest.raises(twin.LayoutError, match="GraphML"):
        twin.Layout.from_graphml(garbage)


def test_hourly_profile_draws_the_declared_rates() -> None:
    calendar = twin.Calendar(
        start=dt.datetime(2026, 3, 2, 0, 30),  # a Monday, half past midnight
        weekday_multipliers=(2.0, 1, 1, 1, 1, 1, 1),
    )
    rates = [0.0] * 24
    rates[8] = 600.0  # only 08:00-09:00
    profile = twin.HourlyProfile(per_hour=tuple(rates))
    rng = np.random.default_rng(11)
    times = profile.arrivals(rng, calendar, 0.0, twin.days(2))
    hours = np.array([calendar.to_datetime(t).hour for t in times])
    assert set(hours) == {8}
    monday = np.sum(times < twin.days(1) - 0.5 * twin.HOUR)
    tuesday = times.size - monday
    # Monday is doubled: 1,200 expected against 600, each within 5 standard deviations.
    assert abs(monday - 1200) < 5 * math.sqrt(1200)
    assert abs(tuesday - 600) < 5 * math.sqrt(600)
    assert np.all(np.diff(times) >= 0)
    assert profile.rate(7.5 * twin.HOUR, calendar) == pytest.approx(1200 / 3600)


def test_hourly_profile_needs_a_day_or_a_week() -> None:
    with pytest.raises(ValueError, match="24 or 168"):
        twin.HourlyProfile(per_hour=(1.0,) * 25)
    weekly = twin.HourlyProfile(per_hour=tuple(float(h) for h in range(168)))
    calendar = twin.Calendar()  # starts on a Monday at midnight
    assert weekly.rate(twin.days(1) + 3 * twin.HOUR, calendar) == pytest.approx(27 / 3600)
