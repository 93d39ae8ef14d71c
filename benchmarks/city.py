"""Cost of one compound-week, and what a whole-city campaign would cost on a cluster.

Measures the wall time of one replication of one simulated week, as a campaign pays it:
``run_task`` (build the model, simulate, collect) plus the store's write, for the closed
compound (``default``, 2,000 households) and the open old-lane area (``old-lane``, 1,200
households). Then extrapolates to Shanghai's 10,987 closed compounds and 2,886 open
areas, one week each, per replication and policy, on N cores at a given parallel
efficiency. Prints the figures docs/scaling.md quotes.

    python benchmarks/city.py [--quick] [--cores 16 64 256] [--efficiency 0.9]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from experiments import api
from experiments.campaign import _initial_targets, _tasks
from experiments.store import ResultStore
from experiments.tasks import run_task

CLOSED, OPEN = 10_987, 2_886


def week_cost(scenario: str, reps: int, keep_series: bool) -> tuple[float, float]:
    """Median seconds per compound-week: (run, store write)."""
    resolved = api.compare_experiment(scenario, [], days=7, reps=reps)
    tasks = _tasks(resolved, _initial_targets(resolved), 0.0, "benchmark")
    run_task(tasks[0])  # warm caches (imports, layout) before timing
    runs, writes = [], []
    with tempfile.TemporaryDirectory() as tmp, ResultStore(Path(tmp) / "s.duckdb") as store:
        for task in tasks:
            started = time.perf_counter()
            record = run_task(task)
            runs.append(time.perf_counter() - started)
            if not keep_series:
                record = type(record)(**{**record.__dict__, "series": record.series.iloc[:0]})
            started = time.perf_counter()
            store.add(record)
            writes.append(time.perf_counter() - started)
    return statistics.median(runs), statistics.median(writes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 replications instead of 20")
    parser.add_argument("--cores", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--efficiency", type=float, default=0.9)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--policies", type=int, default=3, help="including the baseline")
    args = parser.parse_args()
    reps = 5 if args.quick else 20
    closed_run, closed_write = week_cost("default", reps, keep_series=True)
    open_run, open_write = week_cost("old-lane", reps, keep_series=True)
    _, closed_write_lean = week_cost("default", reps, keep_series=False)
    print("one compound-week, median over replications:")
    lean_ms = closed_write_lean * 1000
    print(f"  closed compound (2,000 households): run {closed_run * 1000:.1f} ms, "
          f"store {closed_write * 1000:.1f} ms ({lean_ms:.1f} ms without series)")  # fmt: skip
    print(f"  open old-lane area (1,200 households): run {open_run * 1000:.1f} ms, "
          f"store {open_write * 1000:.1f} ms")  # fmt: skip
    city_run = CLOSED * closed_run + OPEN * open_run
    runs = args.replications * args.policies
    total = city_run * runs
    print(f"\nwhole city, one week: {CLOSED:,} closed + {OPEN:,} open areas")
    print(f"  one replication of one policy: {city_run / 60:.1f} core-minutes")
    print(f"  {args.policies} policies x {args.replications} replications: "
          f"{total / 3600:.2f} core-hours")  # fmt: skip
    writes = (CLOSED * closed_write + OPEN * open_write) * runs
    lean = (CLOSED + OPEN) * closed_write_lean * runs
    print(f"  store writes on the coordinator: {writes / 60:.1f} min "
          f"({lean / 60:.1f} min with keep_series: false)")  # fmt: skip
    for cores in args.cores:
        compute = total / (cores * args.efficiency)
        bound = max(compute, lean)
        print(f"  on {cores:>4} cores at efficiency {args.efficiency}: "
              f"{compute / 60:.1f} min of simulation; "
              f"at least {bound / 60:.1f} min with the coordinator's writes")  # fmt: skip


if __name__ == "__main__":
    main()
