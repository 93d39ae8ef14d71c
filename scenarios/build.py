"""The one place that maps scenario data to agent classes."""

from __future__ import annotations

from agents.parcels import ParcelLockers
from scenarios.loader import layout_of
from scenarios.schema import Scenario
from twin import DAY, CompositeModel

__all__ = ["build_model"]


def build_model(scenario: Scenario) -> CompositeModel:
    """A runnable model (``twin.Model``) for a validated scenario."""
    layout = layout_of(scenario)
    parcels = ParcelLockers(
        layout=layout, parcels=scenario.parcels, lockers=scenario.lockers, pickup=scenario.pickup
    )
    return CompositeModel(
        name=scenario.name,
        calendar=scenario.calendar,
        default_horizon=scenario.days * DAY,
        subsystems=(parcels,),
    )
