"""The immutable result of one run."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

__all__ = ["Result"]


def _frozen_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column].to_numpy()
        if hasattr(values, "flags"):
            values.flags.writeable = False
    return frame


@dataclass(frozen=True)
class Result:
    """KPIs (flat, dotted names), tidy hourly series, distributions and provenance.

    ``kpis`` and ``provenance`` are read-only mappings; the frames are copies whose
    arrays are read-only, so a result cannot be altered after the run.
    """

    kpis: Mapping[str, float]
    series: pd.DataFrame
    distributions: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kpis", MappingProxyType(dict(self.kpis)))
        object.__setattr__(self, "series", _frozen_frame(self.series))
        frozen = {k: _frozen_frame(v) for k, v in self.distributions.items()}
        object.__setattr__(self, "distributions", MappingProxyType(frozen))
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))

    def kpis_json_ready(self) -> dict[str, float | None]:
        """KPIs with NaN (no observation, e.g. a mean of nothing) as None, for JSON."""
        return {k: (None if math.isnan(v) else v) for k, v in sorted(self.kpis.items())}

    def wide_series(self) -> pd.DataFrame:
        """The time series as one column per series, indexed by time."""
        return self.series.pivot(index="time", columns="series", values="value")
