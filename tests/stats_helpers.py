"""Shared helpers for the statistical validation tests.

* ``t_interval``: Student-t confidence interval of a mean over independent replications
  (one number per replication; the replications, not the events inside one run, are the
  independent units, so within-run correlation needs no special treatment).
* ``bonferroni``: the per-comparison level that keeps a family of checks at a joint
  level. The validation files make many interval checks with fixed seeds; without a
  correction, a correct model would fail one of k checks at 95% with probability up to
  1 - 0.95**k, and an innocent change of random-number use would turn the suite red.
* ``erlang_b``: Erlang's loss formula by the stable recursion (DOMAIN.md section 7).
* ``replicate``: run one scenario over seeds 1..R.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

import scenarios
import twin

__all__ = ["Interval", "bonferroni", "erlang_b", "replicate", "t_interval"]


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval ``mean +- half_width`` at ``level``."""

    mean: float
    half_width: float
    level: float
    n: int

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.6g} +- {self.half_width:.3g} ({self.level:.4%}, n={self.n})"


def t_interval(samples: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """Student-t interval for the mean of i.i.d. ``samples`` (at least two)."""
    x = np.asarray(samples, dtype=float)
    if x.ndim != 1 or x.size < 2:
        raise ValueError("need a one-dimensional sample of at least two values")
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    n = x.size
    quantile = float(stats.t.ppf(0.5 + level / 2, df=n - 1))
    half = quantile * float(x.std(ddof=1)) / math.sqrt(n)
    return Interval(mean=float(x.mean()), half_width=half, level=level, n=n)


def bonferroni(level: float, comparisons: int) -> float:
    """Per-comparison level so that ``comparisons`` intervals hold jointly at ``level``."""
    if comparisons < 1:
        raise ValueError("need at least one comparison")
    return 1 - (1 - level) / comparisons


def erlang_b(servers: int, load: float) -> float:
    """Erlang B blocking probability B(c, A): B(0)=1, B(k) = A B(k-1) / (k + A B(k-1))."""
    if servers < 0 or load < 0:
        raise ValueError("servers and load must be non-negative")
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def replicate(
    scenario: str, sets: Sequence[str], days: float, replications: int
) -> list[twin.Result]:
    """Results of ``scenario`` (with ``sets``) for seeds 1..``replications``."""
    model = scenarios.build_model(scenarios.load(scenario, sets=list(sets)))
    horizon = twin.days(days)
    return [twin.simulate(model, seed=seed, horizon=horizon) for seed in range(1, replications + 1)]
