"""Figures for people, drawn from a Result's tidy frames.

This is the only module that imports matplotlib. It uses ``matplotlib.figure.Figure``
directly (no pyplot), so importing it selects no backend and leaves no global state.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

__all__ = ["dwell_figure", "occupancy_figure"]


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
