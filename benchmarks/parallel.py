"""Parallel efficiency of a 40-replication campaign: 1 worker against 2, measured in one run.

The campaign is the default compound (28 days) compared with one policy, 20 replications
each: 40 replications. It runs three ways through the same code path as ``twin compare``:
in this process, on 2 local worker processes, and on a Dask LocalCluster of 2 workers.
Efficiency = T(1 worker) / (2 x T(2 workers)), start-up of the workers included. Rounds
interleave the three ways so machine noise hits all; each uses its best round. Target for
local processes: >= 0.9 (exit status 1 below it); the Dask figure is reported.

    python benchmarks/parallel.py [--quick] [--days N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from experiments import api
from experiments.campaign import run_campaign
from experiments.executors import DaskCluster, InProcess, LocalProcesses
from experiments.store import ResultStore

TARGET = 0.9
POLICY = "lockers:\n  overflow: retry\n"


def campaign_seconds(executor: object, days: float, reps: int, folder: Path) -> float:
    policy = folder / "retry.yaml"
    policy.write_text(POLICY)
    resolved = api.compare_experiment("default", [policy], days=days, reps=reps)
    started = time.perf_counter()
    with executor, ResultStore(folder / "results.duckdb") as store:  # type: ignore[attr-defined]
        summary = run_campaign(resolved, store, executor)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    assert summary.stored == 2 * reps, summary
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="7-day replications")
    parser.add_argument("--days", type=float, default=None, help="days per replication")
    args = parser.parse_args()
    days = args.days or (7.0 if args.quick else 28.0)
    reps = 20
    ways = {
        "1 worker (in process)": InProcess,
        "2 local processes": lambda: LocalProcesses(2),
        "Dask LocalCluster, 2 workers": lambda: DaskCluster("local", workers=2),
    }
    rounds: dict[str, list[float]] = {name: [] for name in ways}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(2 if args.quick else 3):
            for i, (name, make) in enumerate(ways.items()):
                folder = Path(tmp) / f"round{r}" / str(i)
                folder.mkdir(parents=True)
                rounds[name].append(campaign_seconds(make(), days, reps, folder))
    timings = {name: min(values) for name, values in rounds.items()}
    serial = timings["1 worker (in process)"]
    print(f"campaign: default, {days:g} days, 2 policies x {reps} replications = {2 * reps}")
    print(f"{'executor':<30} {'best s':>7} {'rounds':>22} {'efficiency':>11}")
    efficiency = {}
    for name, seconds in timings.items():
        workers = 1 if name.startswith("1 ") else 2
        efficiency[name] = serial / (workers * seconds)
        spread = ", ".join(f"{s:.2f}" for s in rounds[name])
        print(f"{name:<30} {seconds:>7.2f} {spread:>22} {efficiency[name]:>11.3f}")
    local = efficiency["2 local processes"]
    ok = local >= TARGET
    print(f"{'PASS' if ok else 'FAIL'}: local-process efficiency {local:.3f} (target >= {TARGET})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
