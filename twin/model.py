"""What a model must provide to be run by ``simulate()``.

A model is any object with a name, a calendar, a default horizon, declared KPIs, a
``setup(world)`` that starts its behaviours (SimPy processes and callbacks), and a
``kpi_values(world)`` that reads its probes at the end. Declaring KPIs (name, unit,
meaning) lets experiments, calibration and reports stay generic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from twin.calendar import Calendar
from twin.world import World

__all__ = ["KPI", "CompositeModel", "Model", "ModelError", "Subsystem"]


class ModelError(RuntimeError):
    """A model broke its contract (undeclared or missing KPIs, bad values)."""


@dataclass(frozen=True)
class KPI:
    """A declared outcome: dotted name, unit, one line of meaning, and which way is better.

    ``better`` is "lower", "higher" or None (no preference, e.g. a count of arrivals);
    reports use it to say "better" or "worse" rather than "higher" or "lower".
    """

    name: str
    unit: str
    description: str
    better: str | None = None

    def __post_init__(self) -> None:
        if self.better not in (None, "lower", "higher"):
            raise ValueError(f"KPI {self.name}: better must be 'lower', 'higher' or None")


@runtime_checkable
class Model(Protocol):
    name: str
    calendar: Calendar
    default_horizon: float
    kpis: tuple[KPI, ...]

    def setup(self, world: World) -> None: ...

    def kpi_values(self, world: World) -> Mapping[str, float]: ...


@runtime_checkable
class Subsystem(Protocol):
    """One part of a community (parcels and lockers, gates, chargers...).

    Extension mechanism: a new subsystem is a class in ``agents`` with declared ``kpis``,
    a ``setup(world)`` and a ``kpi_values(world)``; the scenario layer composes them.
    """

    kpis: tuple[KPI, ...]

    def setup(self, world: World) -> None: ...

    def kpi_values(self, world: World) -> Mapping[str, float]: ...


@dataclass(frozen=True)
class CompositeModel:
    """A model made of independent subsystems that share one world."""

    name: str
    calendar: Calendar
    default_horizon: float
    subsystems: tuple[Subsystem, ...] = field(default_factory=tuple)

    @property
    def kpis(self) -> tuple[KPI, ...]:
        return tuple(kpi for part in self.subsystems for kpi in part.kpis)

    def setup(self, world: World) -> None:
        for part in self.subsystems:
            part.setup(world)

    def kpi_values(self, world: World) -> Mapping[str, float]:
        values: dict[str, float] = {}
        for part in self.subsystems:
            for name, value in part.kpi_values(world).items():
                if name in values:
                    raise ModelError(f"two subsystems report KPI {name!r}")
                values[name] = value
        return values
