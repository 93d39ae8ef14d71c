"""Output analysis: intervals, paired comparisons, verdicts, ranking, Pareto, warm-up.

Expected numbers are derived independently of ``experiments.analysis`` (scipy's own
interval functions, brute-force loops, or hand arithmetic written next to the assert),
so each check can fail. Random inputs come from ``np.random.default_rng`` with fixed
seeds, never from the global generator.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.analysis import (
    compare,
    mean_ci,
    mser5,
    pareto_front,
    rank,
    replications_needed,
    summarize,
    verdicts,
)

CONTRACT = [
    "kpi",
    "policy",
    "reps",
    "mean",
    "ci_low",
    "ci_high",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
]
COLUMNS = ["scenario", "policy", "point", "replication", "kpi", "value"]


def long_frame(values: dict[tuple[str, str], list[float]], scenario: str = "s", point: int = 0):
    """Long KPI frame from {(policy, kpi): [value per replication 0..R-1]}."""
    rows = [
        (scenario, policy, point, rep, kpi, float(v))
        for (policy, kpi), series in values.items()
        for rep, v in enumerate(series)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def t_interval(x: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    low, high = stats.t.interval(confidence, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    return float(low), float(high)


# --------------------------------------------------------------------------- mean_ci


@pytest.mark.parametrize("confidence", [0.90, 0.95, 0.99])
def test_mean_ci_matches_scipy(confidence: float) -> None:
    x = np.array([3.1, 4.7, 2.2, 5.9, 4.4, 3.8, 6.1, 2.9])
    mean, low, high = mean_ci(x, confidence)
    assert mean == pytest.approx(x.mean(), rel=1e-12)
    assert (low, high) == pytest.approx(t_interval(x, confidence), rel=1e-12)


def test_mean_ci_drops_nan_and_handles_tiny_samples() -> None:
    assert mean_ci([1.0, math.nan, 3.0]) == pytest.approx(mean_ci([1.0, 3.0]))
    # two values: mean 2, sd sqrt(2), half-width t_{0.975,1} * sqrt(2) / sqrt(2) = 12.706...
    assert mean_ci([1.0, 3.0]) == pytest.approx((2.0, 2.0 - 12.7062047, 2.0 + 12.7062047))
    mean, low, high = mean_ci([5.0, math.nan])
    assert mean == 5.0 and math.isnan(low) and math.isnan(high)
    assert all(math.isnan(v) for v in mean_ci([]))
    assert all(math.isnan(v) for v in mean_ci([math.nan]))
    assert mean_ci([4.0, 4.0, 4.0]) == (4.0, 4.0, 4.0)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95.0, -0.5])
def test_mean_ci_rejects_confidence_outside_0_1(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        mean_ci([1.0, 2.0], confidence)


# --------------------------------------------------------------------------- summarize


def test_summarize_hand_made_frame() -> None:
    frame = pd.concat(
        [
            long_frame({("b", "x"): [1.0, 2.0, 3.0], ("a", "y"): [10.0, math.nan, 14.0]}),
            long_frame({("a", "x"): [7.0]}, point=1),
        ]
    )
    out = summarize(frame)
    assert list(out.columns) == [
        "scenario",
        "policy",
        "point",
        "kpi",
        "reps",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "half_width",
    ]
    # sorted by scenario, policy, point, kpi
    assert list(zip(out.policy, out.point, out.kpi, strict=True)) == [
        ("a", 0, "y"),
        ("a", 1, "x"),
        ("b", 0, "x"),
    ]
    a_y, a_x, b_x = (row for _, row in out.iterrows())
    # b/x: 1, 2, 3 -> mean 2, sd 1, half-width t_{0.975,2} / sqrt(3) = 4.302653 / 1.732051
    assert (b_x.reps, b_x["mean"], b_x.sd) == (3, 2.0, 1.0)
    assert b_x.half_width == pytest.approx(4.3026527 / math.sqrt(3))
    assert (b_x.ci_low, b_x.ci_high) == pytest.approx((2 - 2.4841377, 2 + 2.4841377))
    # a/y: the NaN is "not observed": 2 reps, mean 12, sd sqrt(8), half-width 12.706 * 2
    assert (a_y.reps, a_y["mean"]) == (2, 12.0)
    assert a_y.sd == pytest.approx(math.sqrt(8))
    assert a_y.half_width == pytest.approx(2 * 12.7062047)
    # a/x at point 1: one observation, no interval
    assert (a_x.reps, a_x["mean"]) == (1, 7.0)
    assert math.isnan(a_x.sd) and math.isnan(a_x.ci_low) and math.isnan(a_x.half_width)
    assert out.reps.dtype == np.int64


def test_summarize_rejects_duplicates_and_missing_columns() -> None:
    frame = long_frame({("a", "x"): [1.0, 2.0]})
    with pytest.raises(ValueError, match="duplicate"):
        summarize(pd.concat([frame, frame.iloc[[0]]]))
    with pytest.raises(ValueError, match="replication"):
        summarize(frame.drop(columns="replication"))


# --------------------------------------------------------------------------- compare


def crn_frame(reps: int = 20, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Baseline and B = baseline + 1 + small noise, sharing a large per-replication term."""
    rng = np.random.default_rng(seed)
    common = rng.normal(0.0, 10.0, reps)  # between-replication spread, same for both
    base = 50.0 + common + rng.normal(0.0, 0.1, reps)
    b = base + 1.0 + rng.normal(0.0, 0.1, reps)
    frame = long_frame({("base", "k"): list(base), ("B", "k"): list(b)})
    return frame, base, b


def test_compare_pairs_by_replication() -> None:
    frame, base, b = crn_frame()
    out = compare(frame, "base")
    row = out.loc[out.policy == "B"].iloc[0]
    paired = t_interval(b - base)
    assert row.diff_mean == pytest.approx((b - base).mean(), rel=1e-12)
    assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx(paired, rel=1e-12)
    assert row.diff_ci_low < 1.0 < row.diff_ci_high
    paired_half = (row.diff_ci_high - row.diff_ci_low) / 2
    assert paired_half < 0.1
    # The unpaired (Welch) interval of the same two samples: the common term does not
    # cancel, so it is wide and cannot even tell that B is higher.
    se = math.sqrt(base.var(ddof=1) / len(base) + b.var(ddof=1) / len(b))
    welch = stats.ttest_ind(b, base, equal_var=False).confidence_interval(0.95)
    assert (welch.high - welch.low) / 2 == pytest.approx(stats.t.ppf(0.975, welch_df(base, b)) * se)
    assert (welch.high - welch.low) / 2 > 50 * paired_half
    assert welch.low < 0.0 < welch.high
    # marginal columns describe B alone
    assert (row.reps, row["mean"]) == (20, pytest.approx(b.mean()))
    assert (row.ci_low, row.ci_high) == pytest.approx(t_interval(b))


def welch_df(x: np.ndarray, y: np.ndarray) -> float:
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    return (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))


def test_compare_contract_columns_order_and_baseline_row() -> None:
    rng = np.random.default_rng(3)
    values = {
        (policy, kpi): list(rng.normal(5.0, 1.0, 6))
        for policy in ("beta", "status-quo", "alpha")
        for kpi in ("z.last", "a.first")
    }
    out = compare(long_frame(values), "status-quo")
    assert list(out.columns) == CONTRACT
    # kpi sorted, baseline first (although it sorts last by name), then by name
    assert list(zip(out.kpi, out.policy, strict=True)) == [
        ("a.first", "status-quo"),
        ("a.first", "alpha"),
        ("a.first", "beta"),
        ("z.last", "status-quo"),
        ("z.last", "alpha"),
        ("z.last", "beta"),
    ]
    base = out.loc[out.policy == "status-quo"]
    assert (base[["diff_mean", "diff_ci_low", "diff_ci_high"]] == 0.0).all().all()
    assert list(out.index) == list(range(6))
    assert out.attrs == {"baseline": "status-quo", "confidence": 0.95}
    # deterministic: same input, same table
    pd.testing.assert_frame_equal(out, compare(long_frame(values), "status-quo"))


def test_compare_uses_replications_present_in_both() -> None:
    base = [10.0, 11.0, math.nan, 13.0, 14.0]
    pol = [12.0, math.nan, 15.0, 16.0, 19.0]
    out = compare(long_frame({("base", "k"): base, ("p", "k"): pol}), "base")
    row = out.loc[out.policy == "p"].iloc[0]
    both = np.array([12.0 - 10.0, 16.0 - 13.0, 19.0 - 14.0])  # replications 0, 3, 4
    assert row.diff_mean == pytest.approx(both.mean())
    assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx(t_interval(both))
    assert (row.reps, row["mean"]) == (4, pytest.approx(np.mean([12.0, 15.0, 16.0, 19.0])))


def test_compare_small_and_missing_samples() -> None:
    frame = long_frame({("base", "k"): [1.0], ("p", "k"): [3.0], ("q", "k"): [math.nan]})
    out = compare(frame, "base").set_index("policy")
    assert out.loc["base", ["diff_mean", "diff_ci_low", "diff_ci_high"]].tolist() == [0, 0, 0]
    assert out.loc["p", "diff_mean"] == 2.0  # one pair: a difference, no interval
    assert math.isnan(out.loc["p", "diff_ci_low"]) and math.isnan(out.loc["p", "diff_ci_high"])
    assert out.loc["q", "reps"] == 0 and math.isnan(out.loc["q", "diff_mean"])


def test_compare_several_points_need_keep_keys() -> None:
    frame = pd.concat(
        [
            long_frame({("base", "k"): [1.0, 2.0], ("p", "k"): [2.0, 4.0]}, point=2),
            long_frame({("base", "k"): [5.0, 6.0], ("p", "k"): [5.0, 7.0]}, point=1),
        ]
    )
    with pytest.raises(ValueError, match="keep_keys"):
        compare(frame, "base")
    out = compare(frame, "base", keep_keys=True)
    assert list(out.columns) == ["scenario", "point", *CONTRACT]
    assert list(zip(out.point, out.policy, strict=True)) == [
        (1, "base"),
        (1, "p"),
        (2, "base"),
        (2, "p"),
    ]
    assert out.diff_mean.tolist() == [0.0, 0.5, 0.0, 1.5]
    with pytest.raises(ValueError, match="nope"):
        compare(frame, "nope", keep_keys=True)


# --------------------------------------------------------------------------- verdicts


def comparison_table(rows: list[tuple[str, str, float, float, float]]) -> pd.DataFrame:
    """Contract table from (kpi, policy, diff_mean, diff_ci_low, diff_ci_high)."""
    return pd.DataFrame(
        [(k, p, 10, 0.0, 0.0, 0.0, d, lo, hi) for k, p, d, lo, hi in rows], columns=CONTRACT
    )


UNITS = {"lockers.overflow_rate": "fraction", "parcels.lost": "parcels"}
DIRECTIONS = {"lockers.overflow_rate": "lower", "parcels.lost": "lower"}


def test_verdicts_better_worse_and_no_difference() -> None:
    table = comparison_table(
        [
            ("lockers.overflow_rate", "base", 0.0, 0.0, 0.0),
            ("lockers.overflow_rate", "retry", 0.012, 0.004, 0.020),
            ("lockers.overflow_rate", "spill", -0.041, -0.050, -0.032),
            ("parcels.lost", "base", 0.0, 0.0, 0.0),
            ("parcels.lost", "retry", 0.1, -0.3, 0.5),
            ("parcels.lost", "spill", -20.0, -30.0, -10.0),
        ]
    )
    assert verdicts(table, DIRECTIONS, UNITS, baseline="base") == [
        "Overflow rate: 'retry' is worse than the baseline by 1.2 percentage points "
        "(95% CI 0.4 to 2.0).",
        "Overflow rate: 'spill' is better than the baseline by 4.1 percentage points "
        "(95% CI 3.2 to 5.0).",
        "Lost: no significant difference between 'retry' and the baseline "
        "(95% CI of the difference \N{MINUS SIGN}0.3 to 0.5 parcels).",
        "Lost: 'spill' is better than the baseline by 20 parcels (95% CI 10 to 30).",
    ]


def test_verdicts_without_direction_say_higher_or_lower() -> None:
    table = comparison_table(
        [
            ("parcels.lost", "base", 0.0, 0.0, 0.0),
            ("parcels.lost", "a", 2.0, 1.0, 3.0),
            ("parcels.lost", "b", -2.0, -3.0, -1.0),
        ]
    )
    assert verdicts(table, None, UNITS, baseline="base") == [
        "Lost: 'a' is higher than the baseline by 2 parcels (95% CI 1 to 3).",
        "Lost: 'b' is lower than the baseline by 2 parcels (95% CI 1 to 3).",
    ]
    # the same numbers with "higher is better"
    better, worse = verdicts(table, {"parcels.lost": "higher"}, UNITS, baseline="base")
    assert "'a' is better" in better and "'b' is worse" in worse


def test_verdicts_edge_cases() -> None:
    table = comparison_table(
        [
            ("lockers.utilization", "base", 0.0, 0.0, 0.0),
            ("lockers.utilization", "few", 0.3, math.nan, math.nan),
            ("lockers.utilization", "same", 0.0, 0.0, 0.0),
            ("lockers.utilization", "tiny", 0.51, 0.02, 1.0),
        ]
    )
    assert verdicts(table, baseline="base", confidence=0.9) == [
        "Utilization: 'few' cannot be compared with the baseline "
        "(fewer than two replications observed for both).",
        "Utilization: 'same' equals the baseline in every paired replication.",
        # half-width 0.49 shows one decimal, but a significant interval must not read
        # "from 0.0", so one more decimal is added
        "Utilization: 'tiny' is higher than the baseline by 0.51 (90% CI 0.02 to 1.00).",
    ]
    with pytest.raises(ValueError, match="baseline"):
        verdicts(table)
    with pytest.raises(ValueError, match="direction"):
        verdicts(table, {"lockers.utilization": "smaller"}, baseline="base")


def test_verdicts_read_baseline_from_compare_and_disambiguate_labels() -> None:
    frame, base, b = crn_frame()
    frame["kpi"] = "gates.queue_mean"
    other = frame.assign(kpi="lockers.queue_mean")
    table = compare(pd.concat([frame, other]), "base")
    sentences = verdicts(table, units={"gates.queue_mean": "min"})
    # both KPIs end in "queue_mean", so the labels keep the subsystem; the half-width
    # (about 0.04) shows two decimals
    low, high = t_interval(b - base)
    assert 0.01 <= (high - low) / 2 < 0.1
    numbers = f"{(b - base).mean():.2f}", f"{low:.2f}", f"{high:.2f}"
    assert sentences == [
        f"Gates queue mean: 'B' is higher than the baseline by {numbers[0]} min "
        f"(95% CI {numbers[1]} to {numbers[2]}).",
        f"Lockers queue mean: 'B' is higher than the baseline by {numbers[0]} "
        f"(95% CI {numbers[1]} to {numbers[2]}).",
    ]
    custom = verdicts(table, labels={"gates.queue_mean": "Gate queue"})
    assert custom[0].startswith("Gate queue: ")


# --------------------------------------------------------------------------- rank


def rank_frame() -> pd.DataFrame:
    common = np.array([0.0, 5.0, -3.0, 8.0, -6.0])  # shared by all policies (CRN)
    a = 10.0 + common
    b = a + np.array([0.1, -0.1, 0.2, -0.2, 0.25])  # mean +0.05: indistinguishable
    c = a + np.array([2.1, 1.9, 2.0, 2.05, 1.95])  # mean +2: clearly worse if lower wins
    return long_frame({("c", "k"): list(c), ("a", "k"): list(a), ("b", "k"): list(b)})


def test_rank_lower_is_better() -> None:
    out = rank(rank_frame(), "k", "lower")
    assert out.policy.tolist() == ["a", "b", "c"]
    assert out["rank"].tolist() == [1, 2, 3]
    assert out.differs_from_best.tolist() == [False, False, True]
    assert out.diff_mean.tolist() == pytest.approx([0.0, 0.05, 2.0])
    # significance is paired: the marginal intervals of a and c overlap heavily
    assert out.ci_high.iloc[0] > out.ci_low.iloc[2]
    assert out.attrs["best"] == "a"


def test_rank_higher_is_better() -> None:
    out = rank(rank_frame(), "k", "higher")
    assert out.policy.tolist() == ["c", "b", "a"]
    assert out.differs_from_best.tolist() == [False, True, True]
    assert out.diff_mean.tolist() == pytest.approx([0.0, -1.95, -2.0])


def test_rank_needs_the_long_frame() -> None:
    with pytest.raises(ValueError, match="long KPI frame"):
        rank(compare(rank_frame(), "a"), "k")
    with pytest.raises(ValueError, match="nope"):
        rank(rank_frame(), "nope")


# --------------------------------------------------------------------------- pareto


def summary_table(points: dict[str, tuple[float, float]], scenario: str = "s") -> pd.DataFrame:
    rows = [
        (scenario, policy, 0, kpi, value)
        for policy, xy in points.items()
        for kpi, value in zip(("x", "y"), xy, strict=True)
    ]
    return pd.DataFrame(rows, columns=["scenario", "policy", "point", "kpi", "mean"])


POINTS = {
    "a": (1.0, 5.0),
    "b": (2.0, 3.0),
    "c": (3.0, 4.0),  # dominated by b
    "d": (4.0, 1.0),
    "e": (2.0, 3.0),  # equal to b: neither dominates the other
    "f": (1.0, 6.0),  # dominated by a (same x, worse y)
    "g": (0.5, math.nan),  # not observed: never on the front
}


def test_pareto_front_lower_lower() -> None:
    out = pareto_front(summary_table(POINTS), "x", "y")
    assert list(out.columns) == ["scenario", "policy", "point", "x", "y", "pareto"]
    on_front = set(out.loc[out.pareto, "policy"])
    assert on_front == {"a", "b", "e", "d"}
    assert out.policy.tolist() == ["g", "a", "f", "b", "e", "c", "d"]  # by x, then y


def test_pareto_front_mixed_directions_and_scenarios() -> None:
    out = pareto_front(summary_table(POINTS), "x", "y", directions=("lower", "higher"))
    assert set(out.loc[out.pareto, "policy"]) == {"f"}  # smallest x and largest y
    # a point only competes within its own scenario
    other = summary_table({"h": (0.1, 0.1)}, scenario="t")
    out = pareto_front(pd.concat([summary_table(POINTS), other]), "x", "y")
    assert set(out.loc[out.pareto, "policy"]) == {"a", "b", "e", "d", "h"}


def test_pareto_front_matches_brute_force() -> None:
    rng = np.random.default_rng(11)
    xy = rng.integers(0, 6, size=(60, 2)).astype(float)  # many ties on purpose
    points = {f"p{i:02d}": (x, y) for i, (x, y) in enumerate(xy)}
    out = pareto_front(summary_table(points), "x", "y").set_index("policy")

    def dominated(i: int) -> bool:
        return any(
            (xy[j] <= xy[i]).all() and (xy[j] < xy[i]).any() for j in range(len(xy)) if j != i
        )

    expected = {f"p{i:02d}" for i in range(len(xy)) if not dominated(i)}
    assert set(out.index[out.pareto]) == expected


def test_pareto_front_on_compare_and_long_frames() -> None:
    frame = long_frame(
        {
            ("base", "x"): [1.0, 1.2],
            ("base", "y"): [5.0, 5.2],
            ("p", "x"): [2.0, 2.2],
            ("p", "y"): [6.0, 6.2],  # worse on both: dominated
            ("q", "x"): [0.5, 0.7],
            ("q", "y"): [9.0, 9.2],
        }
    )
    for table in (compare(frame, "base"), frame, summarize(frame)):
        out = pareto_front(table, "x", "y")
        assert dict(zip(out.policy, out.pareto, strict=True)) == {
            "q": True,
            "base": True,
            "p": False,
        }
    with pytest.raises(ValueError, match="two different"):
        pareto_front(frame, "x", "x")


# --------------------------------------------------------------------------- replications


def test_replications_needed_formula() -> None:
    pilot = np.random.default_rng(5).normal(20.0, 4.0, 10)
    s = pilot.std(ddof=1)
    for target in (0.5, 1.0, 2.0):
        n = replications_needed(pilot, target)
        half = stats.t.ppf(0.975, n - 1) * s / math.sqrt(n)
        assert half <= target
        # minimal: one fewer (if it is not below what has been run) misses the target
        if n > len(pilot):
            assert stats.t.ppf(0.975, n - 2) * s / math.sqrt(n - 1) > target
    # brute force from the pilot size upwards
    n = len(pilot)
    while stats.t.ppf(0.975, n - 1) * s / math.sqrt(n) > 0.5:
        n += 1
    assert replications_needed(pilot, 0.5) == n


def test_replications_needed_already_met_and_monotone() -> None:
    pilot = np.random.default_rng(6).normal(0.0, 1.0, 12)
    assert replications_needed(pilot, 100.0) == 12
    targets = [2.0, 1.0, 0.5, 0.3, 0.2, 0.1, 0.05]
    needed = [replications_needed(pilot, t) for t in targets]
    assert needed == sorted(needed) and needed[-1] > needed[0]
    # higher confidence never needs fewer
    assert replications_needed(pilot, 0.2, 0.99) > replications_needed(pilot, 0.2, 0.90)
    with pytest.raises(ValueError, match="two"):
        replications_needed([1.0, math.nan], 0.1)
    with pytest.raises(ValueError, match="positive"):
        replications_needed(pilot, 0.0)


def test_replications_needed_achieves_the_target_on_average() -> None:
    sigma, target = 3.0, 1.0
    rng = np.random.default_rng(8)
    z = rng.normal(size=10)
    pilot = (z - z.mean()) / z.std(ddof=1) * sigma  # pilot sd is exactly sigma
    n = replications_needed(pilot, target)
    assert 36 <= n <= 40  # (1.96 * 3)^2 = 34.6, plus the t correction
    runs = rng.normal(0.0, sigma, size=(2000, n))
    half = stats.t.ppf(0.975, n - 1) * runs.std(axis=1, ddof=1) / math.sqrt(n)
    assert 0.97 * target <= half.mean() <= target
    # one replication fewer would miss the target on average: E[hw] ~ t * c4 * sigma / sqrt
    assert stats.t.ppf(0.975, n - 2) * sigma / math.sqrt(n - 1) > target


# --------------------------------------------------------------------------- MSER-5


def ar1(rng: np.random.Generator, n: int, phi: float = 0.7) -> np.ndarray:
    """Stationary AR(1) with unit innovations, started from its stationary law."""
    e = rng.normal(size=n)
    x = np.empty(n)
    x[0] = e[0] / math.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


def mser5_brute_force(series: np.ndarray) -> int:
    k = len(series) // 5
    y = series[: 5 * k].reshape(k, 5).mean(axis=1)
    best, best_d = math.inf, 0
    for d in range(k):
        if not d < k / 2:
            break
        tail = y[d:]
        value = ((tail - tail.mean()) ** 2).sum() / (k - d) ** 2
        if value < best:  # strict: ties keep the smallest d
            best, best_d = value, d
    return 5 * best_d


@pytest.mark.parametrize("seed", range(8))
def test_mser5_finds_an_initial_transient(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(2100)
    # decays from 50 to the steady mean 10; the bias falls below the noise sd (1.4)
    # at t ~ 50 and below 0.05 by t = 100
    series = 10.0 + 40.0 * np.exp(-t / 15.0) + ar1(rng, len(t))
    d = mser5(series)
    assert d % 5 == 0
    assert 25 <= d <= 200
    assert d == mser5_brute_force(series)


def test_mser5_on_stationary_series_is_small() -> None:
    cuts = [mser5(10.0 + ar1(np.random.default_rng(100 + s), 2000)) for s in range(20)]
    assert max(cuts) <= 150  # under 8% of the run in every case
    assert float(np.median(cuts)) <= 25


def test_mser5_exact_cases() -> None:
    assert mser5(np.full(200, 3.0)) == 0
    # a step: after 20 observations the rest is constant, so MSER is 0 from d = 4 batches
    # on, and the tie goes to the smallest d
    step = np.r_[np.full(20, 50.0), np.full(200, 10.0)]
    assert mser5(step) == 20
    # a pure trend keeps improving with truncation: the search stops at d < k/2,
    # here k = 20 batches, so the last allowed d is 9 batches = 45 observations
    assert mser5(np.linspace(100.0, 0.0, 100)) == 45
    # a trailing partial batch is ignored
    rng = np.random.default_rng(2)
    series = np.r_[np.linspace(30, 10, 40), 10 + rng.normal(size=300)]
    assert mser5(series) == mser5(series[:-3]) == mser5_brute_force(series)


def test_mser5_rejects_short_or_gappy_series() -> None:
    with pytest.raises(ValueError, match="10 observations"):
        mser5([1.0] * 9)
    with pytest.raises(ValueError, match="NaN"):
        mser5([1.0] * 20 + [math.nan])


# --------------------------------------------------------------------------- coverage

EXPERIMENTS, REPS, EVENTS = 2000, 10, 50
TRUE_MEAN, TRUE_DIFF = 2.0, 0.5


def acceptance(n: int, p: float = 0.95) -> tuple[float, float]:
    """Counts between the 0.1% and 99.9% binomial quantiles (a correct CI fails 0.2%)."""
    return float(stats.binom.ppf(0.001, n, p)), float(stats.binom.ppf(0.999, n, p))


def test_acceptance_region() -> None:
    # the brief's 200-experiment example, derived rather than typed in
    assert acceptance(200) == (179.0, 198.0)
    assert acceptance(EXPERIMENTS) == (1869.0, 1929.0)


def coverage_frame(seed: int) -> pd.DataFrame:
    """EXPERIMENTS independent experiments (the design point id) of REPS replications.

    A replication's KPI is the mean of EVENTS exponential waits with mean 2 (a time
    average, as a real KPI is). The policy adds an independent exponential delay with
    mean 0.5 to each wait of the *same* baseline waits (common random numbers), so the
    true difference is 0.5. Raw single exponentials would not do: with 10 replications
    the t interval's true coverage for a skewed exponential is about 0.90, not 0.95.
    """
    rng = np.random.default_rng(seed)
    waits = rng.exponential(TRUE_MEAN, size=(EXPERIMENTS, REPS, EVENTS))
    extra = rng.exponential(TRUE_DIFF, size=(EXPERIMENTS, REPS, EVENTS))
    point, rep = np.meshgrid(np.arange(EXPERIMENTS), np.arange(REPS), indexing="ij")
    parts = [
        pd.DataFrame(
            {
                "scenario": "analytic",
                "policy": policy,
                "point": point.ravel(),
                "replication": rep.ravel(),
                "kpi": "wait",
                "value": kpi.mean(axis=2).ravel(),
            }
        )
        for policy, kpi in (("base", waits), ("slower", waits + extra))
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.mark.slow
def test_confidence_intervals_cover_at_the_nominal_rate() -> None:
    frame = coverage_frame(seed=20240601)
    low, high = acceptance(EXPERIMENTS)

    summary = summarize(frame.loc[frame.policy == "base"])
    assert len(summary) == EXPERIMENTS and (summary.reps == REPS).all()
    covered = int(((summary.ci_low <= TRUE_MEAN) & (summary.ci_high >= TRUE_MEAN)).sum())
    assert low <= covered <= high, f"mean CI covered {covered} of {EXPERIMENTS}"

    table = compare(frame, "base", keep_keys=True)
    diffs = table.loc[table.policy == "slower"]
    assert len(diffs) == EXPERIMENTS
    covered = int(((diffs.diff_ci_low <= TRUE_DIFF) & (diffs.diff_ci_high >= TRUE_DIFF)).sum())
    assert low <= covered <= high, f"paired CI covered {covered} of {EXPERIMENTS}"
    # pairing is what makes the difference interval narrow: same data, both CIs
    paired_half = ((diffs.diff_ci_high - diffs.diff_ci_low) / 2).mean()
    marginal_half = (summary.half_width).mean()
    assert paired_half < marginal_half / 2
