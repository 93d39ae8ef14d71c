"""The scenario schema: the typed, frozen form of a scenario file.

Each subsystem contributes a section defined in its ``agents`` module; new subsystems
arrive as new optional sections here. Cross-references (a bank's site must be a site
node of the layout) are checked when the layout is built, in ``scenarios.load``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agents.parcels import LockersConfig, ParcelsConfig, PickupConfig
from twin import Calendar, LayoutSpec

__all__ = ["Scenario"]


class Scenario(BaseModel):
    """A whole community scenario."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    days: float = Field(default=28, gt=0, le=3660, allow_inf_nan=False)
    calendar: Calendar = Calendar()
    layout: LayoutSpec
    parcels: ParcelsConfig = ParcelsConfig()
    lockers: LockersConfig
    pickup: PickupConfig = PickupConfig()
