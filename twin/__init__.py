"""Community Twin kernel: time, randomness, calendar, layout, probes and the simulate() seam.

The kernel knows no lockers, fires or chargers; those live in ``agents``.
"""

from twin.arrivals import HourlyProfile, piecewise_poisson, poisson_times
from twin.calendar import DAY, HOUR, MINUTE, Calendar, Festival, Holiday, days, hours
from twin.check import ConformanceError, check_model
from twin.distributions import (
    Deterministic,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
    Weibull,
)
from twin.model import KPI, CompositeModel, Model, ModelError, Subsystem
from twin.probes import Counter, Level, Tally
from twin.registry import Agent, AgentSet
from twin.result import Result
from twin.rng import Streams
from twin.simulate import package_versions, simulate, stable_hash
from twin.topology import BuildingGrid, Layout, LayoutError, LayoutSpec, Point
from twin.world import World

__all__ = [
    "DAY",
    "HOUR",
    "KPI",
    "MINUTE",
    "Agent",
    "AgentSet",
    "BuildingGrid",
    "Calendar",
    "CompositeModel",
    "ConformanceError",
    "Counter",
    "Deterministic",
    "Distribution",
    "Empirical",
    "Exponential",
    "Festival",
    "Gamma",
    "Holiday",
    "HourlyProfile",
    "Layout",
    "LayoutError",
    "LayoutSpec",
    "Level",
    "Lognormal",
    "Model",
    "ModelError",
    "Point",
    "Result",
    "Streams",
    "Subsystem",
    "Tally",
    "Triangular",
    "Uniform",
    "Weibull",
    "World",
    "check_model",
    "days",
    "hours",
    "package_versions",
    "piecewise_poisson",
    "poisson_times",
    "simulate",
    "stable_hash",
]
