"""Designs: how many points each makes, inside the declared ranges, deterministically."""

from __future__ import annotations

import pytest

from experiments.design import design_points
from experiments.spec import DesignSpec, Factor

RANGES = (
    Factor(path="a", low=0.0, high=1.0),
    Factor(path="b", low=10.0, high=20.0, integer=True),
)


def test_full_factorial_is_every_combination() -> None:
    factors = (Factor(path="a", levels=(1, 2, 3)), Factor(path="b", levels=("x", "y")))
    points = design_points(factors, DesignSpec(kind="full_factorial"), seed=1)
    assert len(points) == 6
    assert {(p["a"], p["b"]) for p in points} == {(a, b) for a in (1, 2, 3) for b in "xy"}


def test_no_factors_is_one_point() -> None:
    assert design_points((), DesignSpec(), seed=1) == [{}]


@pytest.mark.parametrize(
    ("design", "count"),
    [
        (DesignSpec(kind="latin_hypercube", samples=10), 10),
        (DesignSpec(kind="sobol", samples=8), 8 * (2 + 2)),  # Saltelli: N (D + 2)
        (DesignSpec(kind="morris", trajectories=5, levels=4), 5 * (2 + 1)),  # T (D + 1)
    ],
)
def test_sampled_designs_stay_in_range(design: DesignSpec, count: int) -> None:
    points = design_points(RANGES, design, seed=7)
    assert len(points) == count
    assert all(0.0 <= p["a"] <= 1.0 for p in points)
    assert all(isinstance(p["b"], int) and 10 <= p["b"] <= 20 for p in points)
    assert points == design_points(RANGES, design, seed=7)  # same seed, same design


def test_latin_hypercube_covers_each_stratum_once() -> None:
    points = design_points(RANGES[:1], DesignSpec(kind="latin_hypercube", samples=20), seed=3)
    strata = sorted(int(p["a"] * 20) for p in points)
    assert strata == list(range(20))


def test_design_needs_its_options() -> None:
    with pytest.raises(ValueError, match="power of 2"):
        design_points(RANGES, DesignSpec(kind="sobol", samples=6), seed=1)
    with pytest.raises(ValueError, match="needs 'low' and 'high'"):
        design_points((Factor(path="a", levels=(1, 2)),), DesignSpec(kind="morris"), seed=1)
