"""The seam: one function runs a model and returns an immutable Result."""

from __future__ import annotations

import hashlib
import json
import math
import platform
import time
from collections.abc import Callable
from functools import cache
from importlib import metadata
from typing import Any

import pandas as pd

from twin.calendar import DAY
from twin.model import Model, ModelError
from twin.result import Result
from twin.world import World

__all__ = ["Progress", "package_versions", "simulate"]

Progress = Callable[[float, float], None]
"""Called as ``progress(now, horizon)`` after each simulated day."""

_PACKAGES = ("community-twin", "simpy", "mesa", "networkx", "numpy", "pandas", "pydantic")


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a result depends on (cached per process)."""
    return dict(_package_versions())


@cache
def _package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def simulate(
    model: Model,
    *,
    seed: int,
    horizon: float | None = None,
    warmup: float = 0.0,
    progress: Progress | None = None,
    provenance: dict[str, Any] | None = None,
) -> Result:
    """Run ``model`` for ``horizon`` simulated seconds (default: the model's own).

    With ``warmup`` > 0, every probe is cleared at that time, so KPIs describe
    [warmup, horizon] only. (Choosing the warm-up, fixed or by MSER-5, is analysis and
    lives in ``experiments``; clearing statistics is the one thing that needs the run.)
    The same model, seed, horizon and warm-up give identical KPIs in any process.
    ``provenance`` entries (such as a scenario hash) are added to the result's provenance.
    """
    horizon = model.default_horizon if horizon is None else float(horizon)
    if not math.isfinite(horizon) or horizon <= 0:
        raise ValueError(f"horizon must be a positive number of seconds, got {horizon!r}")
    if not 0 <= warmup < horizon:
        raise ValueError(f"warmup must be in [0, horizon), got {warmup!r}")
    started = time.perf_counter()
    world = World(seed=seed, calendar=model.calendar, horizon=horizon)
    model.setup(world)
    checkpoints = sorted({*_day_marks(horizon), float(warmup)} - {0.0})
    for now in checkpoints:
        world.env.run(until=now)
        if now == warmup:
            world.clear_statistics()
        if progress is not None:
            progress(now, horizon)
    kpis = {name: float(value) for name, value in model.kpi_values(world).items()}
    _check_declared(model, kpis)
    distributions = {
        name: pd.DataFrame(tally.histogram())
        for name, tally in sorted(world.tallies.items())
        if tally.count
    }
    record: dict[str, Any] = {
        "model": model.name,
        "seed": seed,
        "horizon_seconds": horizon,
        "warmup_seconds": float(warmup),
        "start": model.calendar.start.isoformat(),
        "random_streams": list(world.streams.names),
        "versions": package_versions(),
        "wall_seconds": time.perf_counter() - started,
    }
    record.update(provenance or {})
    return Result(
        kpis=kpis, series=world.series_frame(), distributions=distributions, provenance=record
    )


def _day_marks(horizon: float) -> list[float]:
    marks = [DAY * (i + 1) for i in range(int(horizon // DAY))]
    return [*marks, horizon] if not marks or marks[-1] < horizon else marks


def _check_declared(model: Model, kpis: dict[str, float]) -> None:
    declared = {kpi.name for kpi in model.kpis}
    missing = sorted(declared - kpis.keys())
    extra = sorted(kpis.keys() - declared)
    if missing or extra:
        raise ModelError(f"model {model.name!r}: KPIs missing {missing}, undeclared {extra}")


def stable_hash(data: Any) -> str:
    """SHA-256 of the canonical JSON of ``data`` (sorted keys), for scenario hashes."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
