"""Memory: peak RSS of one simulated year of ``default`` versus 30 days.

Each run is a fresh child process (this script with ``--child DAYS``) that loads and
builds the scenario and calls ``twin.simulate`` for the horizon; the parent reads the
child's own peak RSS from ``os.wait4`` (the kernel's ``ru_maxrss`` of that child only).
A child with horizon 0 imports and builds but does not simulate: the floor that every
run pays (interpreter, numpy, pandas, scipy, networkx, mesa). Rounds interleave the
horizons; the median per horizon is reported.

Exit status 1 if peak RSS (year) / peak RSS (30 days) exceeds ``--target`` (1.3).

    python benchmarks/memory.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

SCENARIO = "default"
SHORT_DAYS = 30.0
LONG_DAYS = 365.0
TARGET = 1.3
# ru_maxrss is in kilobytes on Linux and in bytes on macOS.
RSS_UNIT = 1 if sys.platform == "darwin" else 1024


def child(days: float) -> int:
    """Run one horizon in this process and print what happened as JSON."""
    import resource

    import scenarios
    import twin

    started = time.perf_counter()
    model = scenarios.build_model(scenarios.load(SCENARIO))
    report: dict[str, Any] = {"days": days}
    if days > 0:
        result = twin.simulate(model, seed=1, horizon=twin.days(days))
        frames = [result.series, *result.distributions.values()]
        report["parcels"] = result.kpis["parcels.arrived"]
        report["result_bytes"] = int(sum(f.memory_usage(deep=False).sum() for f in frames))
    report["seconds"] = time.perf_counter() - started
    report["self_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * RSS_UNIT
    print(json.dumps(report))
    return 0


def measure(days: float) -> dict[str, Any]:
    """Peak RSS (bytes) of a fresh child that simulates ``days``."""
    command = [sys.executable, os.path.abspath(__file__), "--child", repr(days)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child for {days} days failed with status {proc.returncode}")
    report: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    report["maxrss"] = usage.ru_maxrss * RSS_UNIT
    return report


def mib(n: float) -> str:
    return f"{n / 2**20:8.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of three")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3; quick 1)")
    parser.add_argument("--target", type=float, default=TARGET)
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return child(args.child)
    rounds = args.rounds or (1 if args.quick else 3)
    wall = time.perf_counter()

    horizons = (0.0, SHORT_DAYS, LONG_DAYS)
    runs: dict[float, list[dict[str, Any]]] = {days: [] for days in horizons}
    for r in range(rounds):
        order = horizons[r % 3 :] + horizons[: r % 3]
        for days in order:
            runs[days].append(measure(days))

    def peak(days: float) -> float:
        return statistics.median(run["maxrss"] for run in runs[days])

    print(f"{SCENARIO}: peak RSS per fresh process, median of {rounds} round(s)")
    print(f"{'horizon':<22}{'peak RSS':>14}{'parcels':>10}{'frames (shallow)':>18}{'run s':>8}")
    labels = {0.0: "import + build only", SHORT_DAYS: "30 days", LONG_DAYS: "365 days"}
    for days in horizons:
        last = runs[days][-1]
        parcels = f"{last['parcels']:.0f}" if "parcels" in last else "-"
        frames = mib(last["result_bytes"]) if "result_bytes" in last else "-"
        seconds = statistics.median(run["seconds"] for run in runs[days])
        print(f"{labels[days]:<22}{mib(peak(days)):>14}{parcels:>10}{frames:>18}{seconds:>8.2f}")

    base, short, long = peak(0.0), peak(SHORT_DAYS), peak(LONG_DAYS)
    ratio = long / short
    growth_short, growth_long = short - base, long - base
    print()
    print(f"growth above the floor: 30 days {mib(growth_short)}, 365 days {mib(growth_long)}")
    if growth_short > 0:
        print(f"growth ratio (365 d - floor) / (30 d - floor): {growth_long / growth_short:.2f}")
    ok = ratio <= args.target
    verdict = "PASS" if ok else "FAIL"
    print(f"{verdict}: peak RSS 365 d / 30 d = {ratio:.3f}, target <= {args.target:g}")
    print(f"wall time {time.perf_counter() - wall:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
