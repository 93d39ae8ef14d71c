"""Scaling: cost per household-day of ``default`` from 500 to 8,000 households.

Each size is ``default`` with ``--set``-style overlays that scale the layout and the
locker banks together, so that the load per bank stays the same:

* buildings of 100 households in blocks of 5 along a row; ``rows`` x ``5 * blocks``;
* one bank per block (500 households), at a site 10 m from the block's middle building,
  so every household's nearest bank is its own block's (checked below);
* each bank is the ``default`` 1+5 bank scaled to 500 households (default: 150
  compartments per ~667 households): S 77, M 26, L 9 = 112 compartments.

Only ``simulate()`` is timed (load + build are reported separately), for the scenario's
own 28 days (also with ``--quick``, which only runs fewer rounds: a shorter horizon
would inflate the small sizes by the fixed part of a run). Rounds interleave the sizes
(rotating the order) and the best round per size is used; the median is printed too.
The fixed part of a run
(``simulate()`` for one simulated hour: world, agents, result frames, provenance) is
shown, with the marginal cost per household-day once it is subtracted.

Exit status 1 if max/min of the seconds per household-day exceeds ``--target`` (1.3).

    python benchmarks/scaling.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
from collections import Counter
from typing import Any

import scenarios
import twin

SCENARIO = "default"
SIZES = (500, 1000, 2000, 4000, 8000)
HOUSEHOLDS_PER_BUILDING = 100
BUILDINGS_PER_BANK = 5
SPACING_M = 40
BANK = "{S: 77, M: 26, L: 9}"
TARGET = 1.3


def grid(households: int) -> tuple[int, int]:
    """(rows, blocks per row) for ``households``: as square as powers of two allow."""
    per_bank = HOUSEHOLDS_PER_BUILDING * BUILDINGS_PER_BANK
    banks, rest = divmod(households, per_bank)
    if rest or banks < 1:
        raise SystemExit(f"sizes must be multiples of {per_bank} households, got {households}")
    rows = 2 ** (int(math.log2(banks)) // 2) if banks & (banks - 1) == 0 else 1
    return rows, banks // rows


def overlays(households: int, days: float) -> list[str]:
    """The ``--set`` strings that scale ``default`` to ``households``."""
    rows, blocks = grid(households)
    mid = BUILDINGS_PER_BANK // 2
    blocks_at = [(i, j) for i in range(rows) for j in range(blocks)]
    sites = ", ".join(
        f"{{name: site-{i}-{j}, x: {(BUILDINGS_PER_BANK * j + mid) * SPACING_M}, "
        f"y: {i * SPACING_M + 10}}}"
        for i, j in blocks_at
    )
    banks = ", ".join(
        f"{{name: bank-{i}-{j}, site: site-{i}-{j}, compartments: {BANK}}}" for i, j in blocks_at
    )
    return [
        f"days={days!r}",
        f"layout.buildings={{rows: {rows}, per_row: {BUILDINGS_PER_BANK * blocks}, "
        f"spacing_m: {SPACING_M}, households: {HOUSEHOLDS_PER_BUILDING}, floors: 18, lifts: 2}}",
        f"layout.sites=[{sites}]",
        f"lockers.banks=[{banks}]",
    ]


def households_per_bank(model: Any) -> list[int]:
    """Households whose nearest bank (by walk, then index, as the model decides) is each bank."""
    (parcels,) = model.subsystems
    layout = parcels.layout
    sites = [bank.site for bank in parcels.lockers.banks]
    served: Counter[int] = Counter()
    for building in layout.buildings:
        walks = [layout.walk_seconds(building, site) for site in sites]
        nearest = min(range(len(sites)), key=lambda i: (walks[i], i))
        served[nearest] += layout.households(building)
    return [served[i] for i in range(len(sites))]


def timed_simulate(model: Any, horizon: float) -> tuple[float, twin.Result]:
    gc.collect()
    started = time.perf_counter()
    result = twin.simulate(model, seed=1, horizon=horizon)
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    parser.add_argument("--days", type=float, default=28.0, help="simulated days (28)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 7; quick 3)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--target", type=float, default=TARGET)
    args = parser.parse_args(argv)
    days: float = args.days
    rounds = args.rounds or (3 if args.quick else 7)
    sizes: list[int] = args.sizes
    wall = time.perf_counter()

    models: dict[int, Any] = {}
    build_seconds: dict[int, float] = {}
    for n in sizes:
        started = time.perf_counter()
        models[n] = scenarios.build_model(scenarios.load(SCENARIO, sets=overlays(n, days)))
        build_seconds[n] = time.perf_counter() - started
        served = households_per_bank(models[n])
        if set(served) != {HOUSEHOLDS_PER_BUILDING * BUILDINGS_PER_BANK}:
            raise SystemExit(f"{n} households: unequal households per bank {served}")

    horizon = twin.days(days)
    seconds: dict[int, list[float]] = {n: [] for n in sizes}
    fixed: dict[int, list[float]] = {n: [] for n in sizes}
    results: dict[int, twin.Result] = {}
    for n in sizes:  # warm-up
        timed_simulate(models[n], twin.HOUR)
    for r in range(rounds):
        order = sizes[r % len(sizes) :] + sizes[: r % len(sizes)]
        for n in order:
            elapsed, results[n] = timed_simulate(models[n], horizon)
            seconds[n].append(elapsed)
            fixed[n].append(timed_simulate(models[n], twin.HOUR)[0])

    print(
        f"{SCENARIO} scaled: {HOUSEHOLDS_PER_BUILDING} households/building, "
        f"{BUILDINGS_PER_BANK} buildings and one {BANK} bank per block; "
        f"{days:g} days, best of {rounds} interleaved rounds"
    )
    header = (
        f"{'households':>10}{'grid':>7}{'banks':>6}{'build ms':>9}{'sim s':>8}"
        f"{'us/hh-day':>10}{'median':>8}{'fixed ms':>9}{'marginal':>9}"
        f"{'parcels/hh-day':>15}{'overflow':>9}{'util':>6}"
    )
    print(header)
    cost: dict[int, float] = {}
    marginal: dict[int, float] = {}
    for n in sizes:
        rows, blocks = grid(n)
        household_days = n * days
        best, fixed_best = min(seconds[n]), min(fixed[n])
        cost[n] = best / household_days
        marginal[n] = (best - fixed_best) / household_days
        kpis = results[n].kpis
        print(
            f"{n:>10}{f'{rows}x{BUILDINGS_PER_BANK * blocks}':>7}{rows * blocks:>6}"
            f"{build_seconds[n] * 1e3:>9.1f}{best:>8.3f}{cost[n] * 1e6:>10.3f}"
            f"{statistics.median(seconds[n]) / household_days * 1e6:>8.3f}"
            f"{fixed_best * 1e3:>9.1f}{marginal[n] * 1e6:>9.3f}"
            f"{kpis['parcels.arrived'] / household_days:>15.3f}"
            f"{kpis['lockers.overflow_rate']:>9.3f}{kpis['lockers.utilization']:>6.2f}"
        )

    ratio = max(cost.values()) / min(cost.values())
    marginal_ratio = max(marginal.values()) / min(marginal.values())
    worst, cheapest = max(cost, key=cost.__getitem__), min(cost, key=cost.__getitem__)
    print()
    print(f"marginal (fixed part subtracted) max/min = {marginal_ratio:.3f}")
    ok = ratio <= args.target
    print(
        f"{'PASS' if ok else 'FAIL'}: seconds per household-day max/min = {ratio:.3f} "
        f"(max at {worst}, min at {cheapest} households), target <= {args.target:g}"
    )
    print(f"wall time {time.perf_counter() - wall:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
