"""The agent registry, backed by Mesa.

Mesa owns the registry of agents (``AgentSet`` with ``select``, ``groupby``, ``do``);
SimPy owns time. This is the only module that imports Mesa, so a new Mesa release
changes one file. Mesa's own schedulers are never run: one clock.
"""

from __future__ import annotations

import multiprocessing
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

# Importing mesa runs mesa.batchrunner, which forces the "spawn" start method for the
# whole process at import time. A library must not change its host's global state, so
# whatever was set before (usually nothing) is put back.
_start_method = multiprocessing.get_start_method(allow_none=True)
import mesa  # noqa: E402

if multiprocessing.get_start_method(allow_none=True) != _start_method:
    multiprocessing.set_start_method(_start_method, force=True)

if TYPE_CHECKING:
    from twin.world import World

__all__ = ["Agent", "AgentSet", "Registry"]

AgentSet = mesa.agent.AgentSet
A = TypeVar("A", bound="Agent")


class Agent(mesa.Agent):  # type: ignore[misc]
    """Base class for the community's agents; subclass it to hold an agent's state."""

    def __init__(self, world: World, *args: Any, **kwargs: Any) -> None:
        super().__init__(world.registry.mesa_model, *args, **kwargs)
        self.world = world


class Registry:
    """All agents of one run, queried by type."""

    def __init__(self, rng: np.random.Generator) -> None:
        # Mesa seeds its own helpers from the generator we pass: no global RNG, no OS entropy.
        self.mesa_model = mesa.Model(rng=rng)

    @property
    def agents(self) -> Any:
        return self.mesa_model.agents

    def of_type(self, cls: type[A]) -> Any:
        """The AgentSet of agents of exactly ``cls`` (empty if none)."""
        by_type = self.mesa_model.agents_by_type
        return by_type[cls] if cls in by_type else AgentSet([], random=self.mesa_model.random)
