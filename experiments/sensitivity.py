"""Global sensitivity of a KPI to scenario parameters: Sobol indices or Morris screening.

The design comes from ``experiments.design`` (SALib's samplers); each design point is
run for a few replications with common random numbers and the KPI's mean per point is
handed to SALib's matching analysis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from experiments.design import design_points, salib_problem
from experiments.spec import DesignSpec, Factor

__all__ = ["analyze_sensitivity"]


def analyze_sensitivity(
    kpis: pd.DataFrame,
    factors: Sequence[Factor],
    design: DesignSpec,
    kpi: str,
    seed: int,
) -> pd.DataFrame:
    """Indices per parameter: S1/ST with confidence (sobol) or mu*/sigma (morris)."""
    rows = kpis[kpis["kpi"] == kpi]
    means = rows.groupby("point")["value"].mean()
    points = design_points(factors, design, seed)
    y = means.reindex(range(len(points))).to_numpy(dtype=float)
    if not np.all(np.isfinite(y)):
        missing = int(np.sum(~np.isfinite(y)))
        raise ValueError(f"{kpi}: {missing} design points have no finite value")
    problem = salib_problem(factors)
    names = [f.path for f in factors]
    if design.kind == "sobol":
        from SALib.analyze import sobol

        result = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
        return pd.DataFrame(
            {
                "kpi": kpi,
                "parameter": names,
                "method": "sobol",
                "S1": result["S1"],
                "S1_conf": result["S1_conf"],
                "ST": result["ST"],
                "ST_conf": result["ST_conf"],
            }
        )
    if design.kind == "morris":
        from SALib.analyze import morris

        x = np.array([[p[name] for name in names] for p in points], dtype=float)
        result = morris.analyze(problem, x, y, num_levels=design.levels, seed=seed)
        return pd.DataFrame(
            {
                "kpi": kpi,
                "parameter": names,
                "method": "morris",
                "mu_star": result["mu_star"],
                "mu_star_conf": result["mu_star_conf"],
                "sigma": result["sigma"],
            }
        )
    raise ValueError(f"sensitivity needs a sobol or morris design, not {design.kind}")
