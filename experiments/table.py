"""Readable KPI tables with units."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from twin import KPI

__all__ = ["format_kpi_table", "format_value"]


def format_value(value: float, unit: str) -> tuple[str, str]:
    """Text and unit for display: fractions as percentages, counts without decimals."""
    if math.isnan(value):
        return "n/a", unit
    if unit == "fraction":
        return f"{value * 100:.2f}", "%"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}", unit
    return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.1f}", unit


def format_kpi_table(kpis: Mapping[str, float], declared: Iterable[KPI]) -> str:
    """Aligned table of KPI, value and unit, in declaration order."""
    rows = []
    for kpi in declared:
        if kpi.name in kpis:
            text, unit = format_value(kpis[kpi.name], kpi.unit)
            rows.append((kpi.name, text, unit))
    name_w = max((len(r[0]) for r in rows), default=3)
    value_w = max((len(r[1]) for r in rows), default=5)
    lines = [f"{'KPI':<{name_w}}  {'value':>{value_w}}  unit"]
    lines.append("-" * (name_w + value_w + 12))
    lines += [f"{n:<{name_w}}  {v:>{value_w}}  {u}" for n, v, u in rows]
    return "\n".join(lines)
