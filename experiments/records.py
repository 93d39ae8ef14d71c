"""What one finished replication hands to the result store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["RunRecord"]


@dataclass(frozen=True)
class RunRecord:
    """One replication of one (scenario, policy, design point), with its results.

    ``run_id`` is deterministic (a hash of what defines the run), so a resumed campaign
    recognises what it has already stored.
    """

    run_id: str
    campaign: str
    scenario: str
    policy: str
    point: int
    replication: int
    seed: int
    factors: Mapping[str, Any]
    kpis: Mapping[str, float]
    series: pd.DataFrame
    provenance: Mapping[str, Any] = field(default_factory=dict)
