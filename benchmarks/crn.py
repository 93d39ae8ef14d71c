"""Variance reduction from common random numbers on the default scenario, measured.

For each policy and KPI: the variance of the per-replication difference policy minus
baseline when both use the same seed (paired, common random numbers), divided by the
variance when the policy uses independent seeds. Below 1 means pairing helps; the
report's paired confidence intervals are narrower by the square root of this ratio.

    python benchmarks/crn.py [--quick]
"""

from __future__ import annotations

import argparse

import numpy as np

import scenarios
import twin

POLICIES = {
    "retry at next wave": ["lockers.overflow=retry"],
    "spill to other banks": ["lockers.spill_to_other_banks=true"],
    "12 h free window": ["lockers.fees.free_hours=12"],
}
KPIS = (
    "lockers.overflow_rate",
    "lockers.occupancy_mean",
    "parcels.dwell_hours_mean",
    "lockers.fee_revenue_cny",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 replications instead of 30")
    parser.add_argument("--days", type=float, default=7.0)
    args = parser.parse_args()
    reps = 8 if args.quick else 30

    def kpis(sets: list[str], seeds: range) -> dict[str, np.ndarray]:
        model = scenarios.build_model(scenarios.load("default", sets=[f"days={args.days}", *sets]))
        runs = [twin.simulate(model, seed=s).kpis for s in seeds]
        return {k: np.array([r[k] for r in runs]) for k in KPIS}

    base = kpis([], range(reps))
    print(f"default scenario, {args.days:g} days, {reps} replications")
    print(f"{'policy':<22} {'KPI':<26} {'var paired/var independent':>27}")
    for name, sets in POLICIES.items():
        paired = kpis(sets, range(reps))
        independent = kpis(sets, range(1000, 1000 + reps))
        for kpi in KPIS:
            var_paired = np.var(paired[kpi] - base[kpi], ddof=1)
            var_independent = np.var(independent[kpi] - base[kpi], ddof=1)
            print(f"{name:<22} {kpi:<26} {var_paired / var_independent:>27.3f}")


if __name__ == "__main__":
    main()
