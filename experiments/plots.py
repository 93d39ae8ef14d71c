"""Figures for people, drawn from a Result's tidy frames.

This is the only module that imports matplotlib. It uses ``matplotlib.figure.Figure``
directly (no pyplot), so importing it selects no backend and leaves no global state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

__all__ = [
    "dwell_figure",
    "forest_figure",
    "kpi_distribution_figure",
    "occupancy_figure",
    "sensitivity_figure",
]


def occupancy_figure(
    series: pd.DataFrame, capacities: Mapping[str, int], path: Path, title: str
) -> Path:
    """Hourly occupancy of each locker bank against its capacity line."""
    banks = list(capacities)
    fig = Figure(figsize=(10, 1.0 + 2.0 * len(banks)), layout="constrained")
    axes = fig.subplots(len(banks), 1, sharex=True, squeeze=False)[:, 0]
    for ax, bank in zip(axes, banks, strict=True):
        rows = series[series["series"] == f"lockers.occupancy.{bank}"]
        ax.plot(rows["time"], rows["value"], lw=1.0, color="tab:blue", label="occupied (hour mean)")
        ax.axhline(capacities[bank], color="tab:red", ls="--", lw=1.2, label="capacity")
        ax.set_ylim(0, capacities[bank] * 1.1)
        ax.set_ylabel("compartments")
        ax.set_title(f"bank {bank}", loc="left", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper right", fontsize=8)
    axes[-1].set_xlabel("date")
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
    return path


def dwell_figure(
    histogram: pd.DataFrame,
    free_hours: float | None,
    max_hold_hours: float | None,
    path: Path,
    title: str,
) -> Path:
    """Distribution of deposit-to-pickup times with the free window and maximum hold marked."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    widths = histogram["upper"] - histogram["lower"]
    ax.bar(histogram["lower"], histogram["count"], width=widths, align="edge", color="tab:blue")
    if free_hours is not None:
        ax.axvline(free_hours, color="tab:orange", ls="--", label=f"free window ({free_hours:g} h)")
    if max_hold_hours is not None and max_hold_hours <= float(histogram["upper"].max()):
        ax.axvline(
            max_hold_hours, color="tab:red", ls=":", label=f"maximum hold ({max_hold_hours:g} h)"
        )
    ax.set_xlabel("deposit to pickup (h); last bar includes the tail")
    ax.set_ylabel("parcels")
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=110)
    return path


# Figures for comparing policies over replications (the campaign report).

_LABEL_CHARS = 40


def _plain(text: object, limit: int = _LABEL_CHARS) -> str:
    """Label text drawn literally: ``$`` would start mathtext, long names are shortened."""
    label = str(text)
    if len(label) > limit:
        label = label[: limit - 1] + "…"
    return label.replace("$", r"\$")


def _scale(unit: str) -> tuple[float, str, str]:
    """Factor, level unit and difference unit for axes: fractions become % and points."""
    if unit == "fraction":
        return 100.0, "%", "percentage points"
    return 1.0, unit, unit


def _in_order(values: pd.Series, first: str | None = None) -> list[str]:
    """Distinct values in order of first appearance, ``first`` moved to the front."""
    seen = [str(v) for v in dict.fromkeys(values)]
    if first is not None and first in seen:
        seen.remove(first)
        seen.insert(0, first)
    return seen


def forest_figure(
    comparison: pd.DataFrame,
    units: Mapping[str, str],
    path: Path,
    title: str,
    *,
    baseline: str | None = None,
) -> Path:
    """Paired difference of each policy from the baseline, with its interval, per KPI.

    One panel per KPI (each on its own scale, in its unit; fractions in percentage
    points), a vertical line at zero. Intervals that exclude zero are drawn in colour.
    The baseline's own rows (difference 0 by construction) are left out when named.
    """
    rows = comparison if baseline is None else comparison[comparison["policy"] != baseline]
    kpis = _in_order(comparison["kpi"])
    policies = _in_order(rows["policy"])
    n_cols = 1 if len(kpis) == 1 else 2 if len(kpis) <= 4 else 3
    n_rows = max(1, -(-len(kpis) // n_cols))
    panel_h = 0.9 + 0.28 * max(1, len(policies))
    fig = Figure(figsize=(12 if n_cols > 1 else 9, 0.8 + n_rows * panel_h), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharey=True).ravel()
    y_of = {policy: i for i, policy in enumerate(policies)}
    for ax, kpi in zip(axes, kpis, strict=False):
        factor, _, diff_unit = _scale(units.get(kpi, ""))
        data = rows[rows["kpi"] == kpi]
        for row in data.itertuples(index=False):
            y = y_of[str(row.policy)]
            mean, low, high = (
                float(row.diff_mean) * factor,
                float(row.diff_ci_low) * factor,
                float(row.diff_ci_high) * factor,
            )
            if pd.isna(mean):
                ax.annotate(
                    "n/a",
                    (0, y),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                    color="0.4",
                )
                continue
            clear = not (pd.isna(low) or pd.isna(high)) and (low > 0 or high < 0)
            color = "tab:blue" if clear else "0.55"
            if not (pd.isna(low) or pd.isna(high)):
                ax.plot([low, high], [y, y], color=color, lw=2.2, solid_capstyle="butt")
            ax.plot(mean, y, "o", color=color, ms=5.5)
        ax.axvline(0, color="black", lw=0.9)
        ax.set_title(_plain(kpi, 60), loc="left", fontsize=10)
        ax.set_xlabel(f"difference vs baseline ({diff_unit})" if diff_unit else "difference")
        ax.grid(axis="x", alpha=0.3)
        if data.empty or data["diff_mean"].isna().all():
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", color="0.4")
    for ax in axes[len(kpis) :]:
        ax.set_visible(False)
    axes[0].set_yticks(range(len(policies)), [_plain(p) for p in policies])
    axes[0].set_ylim(max(1, len(policies)) - 0.5, -0.5)
    handles = [
        Line2D([], [], color="tab:blue", marker="o", lw=2.2, label="interval excludes 0"),
        Line2D([], [], color="0.55", marker="o", lw=2.2, label="interval includes 0"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    fig.suptitle(_plain(title, 120))
    fig.savefig(path, dpi=100)
    return path


def kpi_distribution_figure(
    kpi_frame: pd.DataFrame,
    kpi: str,
    unit: str,
    path: Path,
    title: str,
    *,
    order: Sequence[str] | None = None,
) -> Path:
    """One KPI's replication values per policy: every replication as a dot, a box for the
    middle half, a line at the median, whiskers over the full range, a diamond at the mean.

    Policies appear in ``order`` (default: first appearance); non-finite values are dropped
    and the count kept is shown next to each policy's name.
    """
    factor, level_unit, _ = _scale(unit)
    rows = kpi_frame[kpi_frame["kpi"] == kpi]
    policies = list(order) if order is not None else _in_order(rows["policy"])
    fig = Figure(figsize=(6.4, 1.3 + 0.4 * max(1, len(policies))), layout="constrained")
    ax = fig.subplots()
    labels = []
    for y, policy in enumerate(policies):
        raw = pd.to_numeric(rows.loc[rows["policy"] == policy, "value"], errors="coerce")
        values = raw[np.isfinite(raw)].to_numpy(dtype=float) * factor
        labels.append(f"{_plain(policy, 30)}  (n={len(values)})")
        if len(values) == 0:
            ax.annotate(
                "no data",
                (0, y),
                xycoords=("axes fraction", "data"),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color="0.4",
            )
            continue
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        ax.plot([values.min(), values.max()], [y, y], color="0.45", lw=1.0, zorder=1)
        ax.add_patch(
            Rectangle(
                (q1, y - 0.28),
                q3 - q1,
                0.56,
                facecolor="#cfe0f1",
                edgecolor="tab:blue",
                lw=1.0,
                zorder=2,
            )
        )
        ax.plot([median, median], [y - 0.28, y + 0.28], color="tab:blue", lw=2.0, zorder=3)
        jitter = (np.arange(len(values)) % 7 - 3) * 0.035
        ax.scatter(values, y + jitter, s=10, color="0.25", alpha=0.55, lw=0, zorder=4)
        ax.plot(values.mean(), y, "D", color="tab:orange", mec="black", mew=0.6, ms=7, zorder=5)
    ax.set_yticks(range(len(policies)), labels)
    ax.set_ylim(max(1, len(policies)) - 0.5, -0.5)
    if not policies:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", color="0.4")
    ax.set_xlabel(f"{_plain(kpi, 60)} ({level_unit})" if level_unit else _plain(kpi, 60))
    ax.grid(axis="x", alpha=0.3)
    handles = [
        Line2D([], [], ls="", marker="o", color="0.25", alpha=0.55, ms=4, label="replication"),
        Rectangle((0, 0), 1, 1, facecolor="#cfe0f1", edgecolor="tab:blue", label="middle half"),
        Line2D([], [], color="tab:blue", lw=2.0, label="median"),
        Line2D([], [], ls="", marker="D", color="tab:orange", mec="black", ms=6, label="mean"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    fig.suptitle(_plain(title, 80), fontsize=11)
    fig.savefig(path, dpi=100)
    return path


def sensitivity_figure(
    sensitivity: pd.DataFrame,
    kpi: str,
    path: Path,
    title: str,
    *,
    unit: str | None = None,
) -> Path:
    """Which parameters move one KPI: Sobol S1 and ST with their intervals, or Morris μ*
    with its interval and σ; one panel per method present, parameters sorted by effect.
    """
    rows = sensitivity[sensitivity["kpi"] == kpi]
    methods = [m for m in ("sobol", "morris") if (rows["method"] == m).any()]
    n_params = max([1] + [int((rows["method"] == m).sum()) for m in methods])
    fig = Figure(
        figsize=(6.4 if len(methods) < 2 else 12, 1.4 + 0.38 * n_params), layout="constrained"
    )
    axes = fig.subplots(1, max(1, len(methods)), squeeze=False)[0]
    if not methods:
        axes[0].text(0.5, 0.5, "no sensitivity results", ha="center", transform=axes[0].transAxes)
        axes[0].set_axis_off()
    for ax, method in zip(axes, methods, strict=False):
        data = rows[rows["method"] == method]
        bars: list[tuple[str, str | None, str, str]]
        if method == "sobol":
            bars = [
                ("S1", "S1_conf", "first order S1", "tab:blue"),
                ("ST", "ST_conf", "total ST", "tab:orange"),
            ]
            data = data.sort_values("ST", ascending=False, na_position="last")
            ax.set_xlabel("share of output variance")
            ax.set_title("Sobol indices", loc="left", fontsize=10)
        else:
            effect_unit = _scale(unit or "")[2]
            bars = [
                ("mu_star", "mu_star_conf", "μ* (mean absolute effect)", "tab:blue"),
                ("sigma", None, "σ (interactions, non-linearity)", "tab:gray"),
            ]
            data = data.sort_values("mu_star", ascending=False, na_position="last")
            ax.set_xlabel(
                f"elementary effect ({effect_unit})" if effect_unit else "elementary effect"
            )
            ax.set_title("Morris screening", loc="left", fontsize=10)
        y = np.arange(len(data))
        height = 0.38
        for k, (column, conf, label, color) in enumerate(bars):
            if column not in data:
                continue
            factor = 100.0 if method == "morris" and unit == "fraction" else 1.0
            values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float) * factor
            errors = None
            if conf is not None and conf in data:
                errors = pd.to_numeric(data[conf], errors="coerce").to_numpy(dtype=float) * factor
                errors = np.where(np.isfinite(errors), np.abs(errors), 0.0)
            ax.barh(
                y + (k - 0.5) * height,
                np.nan_to_num(values),
                height,
                xerr=errors,
                color=color,
                label=label,
                capsize=3,
                error_kw={"lw": 1.0},
            )
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, [_plain(p) for p in data["parameter"]])
        ax.set_ylim(max(1, len(data)) - 0.5, -0.5)
        ax.grid(axis="x", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(_plain(title, 120))
    fig.savefig(path, dpi=100)
    return path
