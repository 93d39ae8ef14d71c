"""Output analysis of replicated runs: intervals, paired comparisons, verdicts, warm-up.

Every function is pure: it takes pandas frames or arrays and returns new ones, with no
plotting and no I/O, so the CLI, reports and tests all share one set of numbers.

The input everywhere is the long KPI frame, one row per observation::

    scenario (str) | policy (str) | point (int) | replication (int) | kpi (str) | value (float)

``value`` may be NaN, meaning "not observed in that replication" (for example a dwell
time when no parcel was collected); NaNs are dropped, never treated as zero, and
``reps`` always counts the observed values.

Why the replication is the unit: the replications of a (scenario, policy, point) are
independent, so a Student-t interval over their KPI values is valid however correlated
the events inside one run are. Two policies run with the same replication index share
their random streams (common random numbers), so they are compared on the
per-replication *differences*: the common noise cancels and the interval shrinks, often
by an order of magnitude, compared with two separate intervals.

Conventions chosen here (documented once, used everywhere):

* ``compare`` puts the baseline first within each KPI; its ``diff_*`` are exactly 0.0
  (the paired difference of a policy with itself is identically zero in every
  replication, so 0 is the true value, not a placeholder). They are NaN only when the
  baseline has no observed value for that KPI.
* ``compare`` records ``baseline`` and ``confidence`` in ``DataFrame.attrs``, which
  ``verdicts`` reads when they are not passed explicitly (a table read back from CSV
  has no attrs, so pass them).
* A difference is significant when its paired interval excludes 0.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

__all__ = [
    "COMPARE_COLUMNS",
    "KEYS",
    "compare",
    "mean_ci",
    "mser5",
    "pareto_front",
    "rank",
    "replications_needed",
    "summarize",
    "verdicts",
]

KEYS = ("scenario", "policy", "point", "kpi")
"""What identifies one estimated quantity in the long KPI frame (all but replication)."""

COMPARE_COLUMNS = (
    "kpi",
    "policy",
    "reps",
    "mean",
    "ci_low",
    "ci_high",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
)
"""The columns of the ``twin compare`` table, in order (the CLI contract)."""

_FRAME_COLUMNS = ("scenario", "policy", "point", "replication", "kpi", "value")
_DIRECTIONS = ("lower", "higher")
_MINUS = "\N{MINUS SIGN}"


# --------------------------------------------------------------------------- intervals


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


def _half_width(sd: npt.ArrayLike, n: npt.ArrayLike, confidence: float) -> npt.NDArray[np.float64]:
    """t_{n-1, (1+c)/2} * sd / sqrt(n), elementwise; NaN where n < 2 (no df left)."""
    sd_a = np.asarray(sd, dtype=float)
    n_a = np.asarray(n, dtype=float)
    ok = n_a >= 2
    df = np.where(ok, n_a - 1.0, 1.0)  # placeholder df keeps scipy away from df <= 0
    quantile = stats.t.ppf(0.5 + confidence / 2.0, df)
    root_n = np.sqrt(np.where(ok, n_a, 1.0))
    return np.where(ok, quantile * sd_a / root_n, np.nan)


def mean_ci(values: npt.ArrayLike, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval ``(mean, low, high)``.

    NaNs are dropped first. With one value the mean is returned but no interval can be
    estimated (no degrees of freedom): ``(mean, nan, nan)``; with none, all three are NaN.
    """
    _check_confidence(confidence)
    x = np.asarray(values, dtype=float).ravel()
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = float(_half_width(x.std(ddof=1), x.size, confidence))
    return mean, mean - half, mean + half


# --------------------------------------------------------------------------- tables


def _check_frame(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"a long KPI frame needs columns {list(_FRAME_COLUMNS)}; missing {missing}"
        )
    dup = frame.duplicated(subset=[*KEYS, "replication"])
    if dup.any():
        row = frame.loc[dup, [*KEYS, "replication"]].iloc[0].to_dict()
        raise ValueError(f"duplicate observation for {row}: pairing would be ambiguous")
    out = frame.loc[:, list(_FRAME_COLUMNS)].copy()
    out["value"] = out["value"].astype(float)
    return out


def summarize(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """One row per (scenario, policy, point, kpi): reps, mean, sd, ci_low, ci_high, half_width.

    ``reps`` counts observed (non-NaN) values; ``sd`` is the sample standard deviation
    (ddof=1). Fewer than two observations leave sd and the interval NaN.
    """
    _check_confidence(confidence)
    data = _check_frame(frame)
    grouped = data.groupby(list(KEYS), sort=True)["value"]
    out = grouped.agg(reps="count", mean="mean", sd="std").reset_index()  # std: ddof=1
    out["reps"] = out["reps"].astype("int64")
    half = _half_width(out["sd"].to_numpy(), out["reps"].to_numpy(), confidence)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    out["half_width"] = half
    return out[[*KEYS, "reps", "mean", "sd", "ci_low", "ci_high", "half_width"]]


def _paired_differences(data: pd.DataFrame, baseline: str, confidence: float) -> pd.DataFrame:
    """Per (scenario, policy, point, kpi): t interval of value - baseline value, paired."""
    observed = data.dropna(subset=["value"])
    base = observed.loc[observed["policy"] == baseline].drop(columns="policy")
    pairs = observed.merge(
        base, on=["scenario", "point", "kpi", "replication"], suffixes=("", "_base")
    )
    pairs["diff"] = pairs["value"] - pairs["value_base"]
    stats_ = (
        pairs.groupby(list(KEYS), sort=True)["diff"]
        .agg(n="count", diff_mean="mean", sd="std")
        .reset_index()
    )
    half = _half_width(stats_["sd"].to_numpy(), stats_["n"].to_numpy(), confidence)
    stats_["diff_ci_low"] = stats_["diff_mean"] - half
    stats_["diff_ci_high"] = stats_["diff_mean"] + half
    return stats_[[*KEYS, "diff_mean", "diff_ci_low", "diff_ci_high"]]


def compare(
    frame: pd.DataFrame,
    baseline: str,
    confidence: float = 0.95,
    *,
    keep_keys: bool = False,
) -> pd.DataFrame:
    """The ``twin compare`` table: each policy's interval and its paired difference.

    One row per (kpi, policy), sorted by kpi, then the baseline, then the other policies
    by name. ``diff_*`` is the Student-t interval of (policy - baseline) over the
    replications observed for both (same replication index = common random numbers).
    ``reps``, ``mean`` and ``ci_*`` describe the policy alone, over all its observations.

    With ``keep_keys=False`` (the CLI contract) the columns are exactly
    :data:`COMPARE_COLUMNS` and the frame must hold a single (scenario, point); with
    several, pass ``keep_keys=True`` to get leading ``scenario`` and ``point`` columns
    (rows then grouped by scenario and point first). Refusing is deliberate: dropping
    the keys silently would print indistinguishable rows.
    """
    _check_confidence(confidence)
    data = _check_frame(frame)
    policies = sorted(data["policy"].unique())
    if baseline not in policies:
        raise ValueError(f"baseline policy {baseline!r} not in the frame; policies: {policies}")
    n_contexts = len(data[["scenario", "point"]].drop_duplicates())
    if n_contexts > 1 and not keep_keys:
        raise ValueError(
            f"the frame holds {n_contexts} (scenario, point) combinations; "
            "filter it to one or pass keep_keys=True"
        )
    table = summarize(data, confidence).merge(
        _paired_differences(data, baseline, confidence), on=list(KEYS), how="left"
    )
    is_base = table["policy"] == baseline
    for col in ("diff_mean", "diff_ci_low", "diff_ci_high"):
        # Exactly zero by construction; the t formula alone would give NaN with one rep.
        table.loc[is_base, col] = np.where(table.loc[is_base, "reps"] > 0, 0.0, np.nan)
    table["_not_base"] = ~is_base
    table = table.sort_values(["scenario", "point", "kpi", "_not_base", "policy"], kind="stable")
    columns = (["scenario", "point"] if keep_keys else []) + list(COMPARE_COLUMNS)
    out = table[columns].reset_index(drop=True)
    out.attrs["baseline"] = baseline
    out.attrs["confidence"] = confidence
    return out


# --------------------------------------------------------------------------- verdicts


def _check_direction(direction: str | None, kpi: str) -> None:
    if direction is not None and direction not in _DIRECTIONS:
        raise ValueError(f"direction for {kpi!r} must be 'lower', 'higher' or None")


def _decimals(half_width: float) -> int:
    """Decimals that show one significant digit of the interval's half-width."""
    if not math.isfinite(half_width) or half_width <= 0:
        return 3
    return int(min(6, max(0, -math.floor(math.log10(half_width)))))


def _num(x: float, decimals: int) -> str:
    text = f"{x:,.{decimals}f}"
    if float(text.replace(",", "")) == 0:
        text = text.lstrip("-")  # never read "minus zero" aloud
    return text.replace("-", _MINUS)


def _labels(kpis: Sequence[str]) -> dict[str, str]:
    """'lockers.overflow_rate' -> 'Overflow rate'; the full name where the last part clashes."""
    last = {k: k.rsplit(".", 1)[-1] for k in kpis}
    counts = Counter(last.values())
    out = {}
    for k in kpis:
        text = (last[k] if counts[last[k]] == 1 else k).replace(".", " ").replace("_", " ")
        out[k] = text[:1].upper() + text[1:]
    return out


def verdicts(
    comparison: pd.DataFrame,
    kpi_directions: Mapping[str, str | None] | None = None,
    units: Mapping[str, str] | None = None,
    *,
    baseline: str | None = None,
    confidence: float | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """One sentence per (kpi, non-baseline policy) of a :func:`compare` table, in its order.

    ``kpi_directions`` maps a KPI to "lower" or "higher" (which is better); a KPI without
    one is described as "higher"/"lower" instead of "better"/"worse". A KPI whose unit
    is "fraction" is spoken in percentage points. Significant differences are stated as
    a positive amount with the interval of that amount; otherwise the sentence gives the
    interval of (policy - baseline). ``baseline`` and ``confidence`` default to the
    table's attrs (set by :func:`compare`); confidence falls back to 0.95.
    """
    directions = dict(kpi_directions or {})
    unit_of = dict(units or {})
    baseline = baseline if baseline is not None else comparison.attrs.get("baseline")
    if baseline is None:
        raise ValueError("which policy is the baseline? pass baseline= (the table has no attrs)")
    level = confidence if confidence is not None else comparison.attrs.get("confidence", 0.95)
    _check_confidence(level)
    level_text = f"{level * 100:g}%"
    names = _labels(sorted(comparison["kpi"].unique()))
    names.update(labels or {})
    has_keys = {"scenario", "point"} <= set(comparison.columns)

    sentences = []
    for row in comparison.itertuples(index=False):
        kpi, policy = str(row.kpi), str(row.policy)
        if policy == baseline:
            continue
        direction = directions.get(kpi)
        _check_direction(direction, kpi)
        unit = unit_of.get(kpi, "")
        scale, unit = (100.0, "percentage points") if unit == "fraction" else (1.0, unit)
        suffix = f" {unit}" if unit else ""
        where = f" (scenario '{row.scenario}', point {row.point})" if has_keys else ""
        head = f"{names[kpi]}{where}: "
        mean = float(row.diff_mean) * scale
        low, high = float(row.diff_ci_low) * scale, float(row.diff_ci_high) * scale
        if not (math.isfinite(low) and math.isfinite(high)):
            sentences.append(
                f"{head}'{policy}' cannot be compared with the baseline "
                "(fewer than two replications observed for both)."
            )
        elif low == high == 0.0:
            sentences.append(f"{head}'{policy}' equals the baseline in every paired replication.")
        elif low <= 0.0 <= high:
            d = _decimals((high - low) / 2)
            sentences.append(
                f"{head}no significant difference between '{policy}' and the baseline "
                f"({level_text} CI of the difference {_num(low, d)} to {_num(high, d)}{suffix})."
            )
        else:
            up = low > 0.0
            if direction is None:
                word = "higher" if up else "lower"
            else:
                word = "better" if up == (direction == "higher") else "worse"
            amount, a_low, a_high = (mean, low, high) if up else (-mean, -high, -low)
            d = _decimals((a_high - a_low) / 2)
            while d < 6 and round(a_low, d) == 0:
                d += 1  # a significant interval must not read "from 0.0"
            sentences.append(
                f"{head}'{policy}' is {word} than the baseline by {_num(amount, d)}{suffix} "
                f"({level_text} CI {_num(a_low, d)} to {_num(a_high, d)})."
            )
    return sentences


# --------------------------------------------------------------------------- choosing


def rank(
    frame: pd.DataFrame,
    kpi: str,
    direction: str = "lower",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Policies ordered from best to worst mean of ``kpi``, each tested against the best.

    Takes the long KPI frame, not a :func:`compare` table: whether a policy differs from
    the *best* needs paired differences against the best, which a table of differences
    against the baseline cannot provide (the covariance is gone), and comparing two
    marginal intervals would throw away the common random numbers.

    Columns: rank, policy, reps, mean, ci_low, ci_high, diff_mean, diff_ci_low,
    diff_ci_high (policy - best, paired) and ``differs_from_best`` (paired interval
    excludes 0; False for the best itself and where there are too few paired
    replications to tell). Ties in the mean go to the policy name; unobserved last.
    The frame must hold one (scenario, point).
    """
    _check_direction(direction, kpi)
    missing = {"replication", "value"} - set(frame.columns)
    if missing:
        raise ValueError(
            "rank needs the long KPI frame (with replication and value), not a comparison "
            "table: significance against the best needs the paired replications"
        )
    data = frame.loc[frame["kpi"] == kpi]
    if data.empty:
        raise ValueError(f"no observations of KPI {kpi!r}")
    if len(data[["scenario", "point"]].drop_duplicates()) > 1:
        raise ValueError("rank compares policies in one (scenario, point): filter the frame")
    means = summarize(data, confidence).dropna(subset=["mean"])
    if means.empty:
        raise ValueError(f"KPI {kpi!r} was never observed")
    ascending = direction == "lower"
    best = str(means.sort_values(["mean", "policy"], ascending=[ascending, True]).iloc[0]["policy"])
    table = compare(data, baseline=best, confidence=confidence)
    table = table.sort_values(
        ["mean", "policy"], ascending=[ascending, True], na_position="last", kind="stable"
    ).reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table["differs_from_best"] = (table["diff_ci_low"] > 0) | (table["diff_ci_high"] < 0)
    out = table.drop(columns="kpi")
    out.attrs = {"kpi": kpi, "best": best, "direction": direction, "confidence": confidence}
    return out


def pareto_front(
    table: pd.DataFrame,
    kpi_x: str,
    kpi_y: str,
    directions: tuple[str, str] = ("lower", "lower"),
) -> pd.DataFrame:
    """Which alternatives are non-dominated on the means of two KPIs.

    ``table`` is a :func:`summarize` or :func:`compare` table (anything with ``kpi`` and
    ``mean``; a long KPI frame is summarized first). An alternative is a distinct
    (policy, point) among the key columns present; alternatives are compared within a
    scenario only, because a scenario is the world a decision is made in, not an option.
    A point is dominated when another is at least as good on both KPIs and strictly
    better on one; equal points do not dominate each other. Alternatives missing either
    KPI are listed with ``pareto`` False.

    Returns the key columns, one column per KPI (named by the KPI) and the boolean
    ``pareto``, sorted by scenario, then ``kpi_x``, then ``kpi_y``.
    """
    if kpi_x == kpi_y:
        raise ValueError("a Pareto front needs two different KPIs")
    for kpi, direction in zip((kpi_x, kpi_y), directions, strict=True):
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction for {kpi!r} must be 'lower' or 'higher'")
    if "mean" not in table.columns and "value" in table.columns:
        table = summarize(table)
    keys = [c for c in ("scenario", "policy", "point") if c in table.columns]
    if not keys or "kpi" not in table.columns or "mean" not in table.columns:
        raise ValueError("pareto_front needs a table with kpi, mean and policy or point columns")
    sub = table.loc[table["kpi"].isin([kpi_x, kpi_y])]
    if sub.duplicated(subset=[*keys, "kpi"]).any():
        raise ValueError(f"more than one mean per {keys} and KPI: include the keys that differ")
    wide = sub.pivot(index=keys, columns="kpi", values="mean")
    for kpi in (kpi_x, kpi_y):
        if kpi not in wide.columns:
            wide[kpi] = np.nan
    wide = wide[[kpi_x, kpi_y]].reset_index()
    wide.columns.name = None
    sign = np.array([1.0 if d == "lower" else -1.0 for d in directions])
    oriented = wide[[kpi_x, kpi_y]].to_numpy(dtype=float) * sign  # smaller is better now
    groups = wide["scenario"].to_numpy() if "scenario" in keys else np.zeros(len(wide))
    pareto = np.zeros(len(wide), dtype=bool)
    for g in pd.unique(groups):
        idx = np.flatnonzero((groups == g) & ~np.isnan(oriented).any(axis=1))
        pareto[idx] = _non_dominated(oriented[idx])
    wide["pareto"] = pareto
    order = (["scenario"] if "scenario" in keys else []) + [kpi_x, kpi_y]
    order += [k for k in keys if k != "scenario"]
    return wide.sort_values(order, kind="stable").reset_index(drop=True)


def _non_dominated(points: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Minimisation skyline in 2-D by one sweep over x: O(n log n), not O(n^2)."""
    result = np.zeros(len(points), dtype=bool)
    order = np.lexsort((points[:, 1], points[:, 0]))
    best_y = math.inf  # smallest y among points with strictly smaller x
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and points[order[j], 0] == points[order[i], 0]:
            j += 1
        group = order[i:j]
        y_min = points[group, 1].min()
        if y_min < best_y:  # equal y at a smaller x would dominate
            result[group[points[group, 1] == y_min]] = True
            best_y = y_min
        i = j
    return result


# --------------------------------------------------------------------------- planning


def replications_needed(
    values: npt.ArrayLike, target_half_width: float, confidence: float = 0.95
) -> int:
    """Total replications for a t interval of half-width at most ``target_half_width``.

    Law's approximate rule: with the sample sd ``s`` of the ``n`` replications so far,
    the smallest ``i >= n`` with ``t_{i-1} * s / sqrt(i) <= target``. The quantile
    depends on ``i``, so the rule is solved by search; it starts at the normal-quantile
    bound (the t quantile is always larger, so no smaller ``i`` can satisfy it).
    Returns ``n`` itself when the target is already met. Needs at least two values.
    """
    _check_confidence(confidence)
    if not target_half_width > 0:
        raise ValueError("target_half_width must be positive")
    x = np.asarray(values, dtype=float).ravel()
    x = x[~np.isnan(x)]
    if x.size < 2:
        raise ValueError("need at least two observed values to estimate the variance")
    s = float(x.std(ddof=1))
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    i = max(x.size, math.floor((z * s / target_half_width) ** 2))
    while float(_half_width(s, i, confidence)) > target_half_width:
        i += 1
    return int(i)


def mser5(series: Sequence[float] | npt.ArrayLike) -> int:
    """MSER-5 warm-up truncation point, in original observations (a multiple of 5).

    The series is cut into batches of 5 (a trailing partial batch is dropped) and their
    means ``Y_1..Y_k`` are used. For each ``d`` batches deleted,
    ``MSER(d) = sum_{i>d} (Y_i - mean_{>d})^2 / (k - d)^2``, the squared half-width of
    the remaining mean up to a constant: deleting biased early data lowers it until the
    lost sample size costs more than the bias. ``d`` is searched over the first half of
    the batches only (``d < k/2``), as MSER is unreliable on a short tail; ties go to the
    smallest ``d``. A result near half the series means the run is too short to show
    steady state. Needs at least 10 observations; NaNs are rejected.
    """
    x = np.asarray(series, dtype=float).ravel()
    if np.isnan(x).any():
        raise ValueError("the series contains NaN; MSER needs consecutive observations")
    k = x.size // 5
    if k < 2:
        raise ValueError("MSER-5 needs at least 10 observations (two batches)")
    y = x[: 5 * k].reshape(k, 5).mean(axis=1)
    y = y - y[k // 2 :].mean()  # centring on the likely steady state limits cancellation
    # Suffix sums accumulated from the end hold only the retained batches.
    s1 = np.cumsum(y[::-1])[::-1]
    s2 = np.cumsum((y * y)[::-1])[::-1]
    remaining = np.arange(k, 0, -1, dtype=float)  # k - d for d = 0..k-1
    sse = np.maximum(s2 - s1 * s1 / remaining, 0.0)
    candidates = (k + 1) // 2  # d = 0 .. ceil(k/2) - 1, i.e. d < k/2
    stat = sse[:candidates] / remaining[:candidates] ** 2
    return int(np.argmin(stat)) * 5
