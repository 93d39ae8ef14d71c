"""The community's layout: a networkx graph of buildings, entrances, sites and paths.

Nodes carry ``kind`` (``building``, ``entrance``, ``site`` or ``junction``) and
coordinates in metres; buildings also carry ``households``, ``floors`` and ``lifts``.
Edges are walkable paths with ``length_m``. A layout is built from a compact grid
description (``LayoutSpec``) or read from a GraphML file with the same attributes.
Walking times come from shortest paths, computed once per destination and cached.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Annotated

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BuildingGrid", "Layout", "LayoutError", "LayoutSpec", "Point"]

KINDS = ("building", "entrance", "site", "junction")
Metres = Annotated[float, Field(allow_inf_nan=False)]


class LayoutError(ValueError):
    """A layout that cannot be used; the message names the node, edge or attribute."""


class Point(BaseModel):
    """A named place (entrance or facility site) at coordinates in metres."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1)
    x: Metres
    y: Metres


class BuildingGrid(BaseModel):
    """Residential buildings in a rectangular grid joined by paths along rows and columns."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    rows: int = Field(ge=1, le=200)
    per_row: int = Field(ge=1, le=200)
    spacing_m: float = Field(gt=0, allow_inf_nan=False)
    households: int = Field(ge=1, description="households per building")
    floors: int = Field(default=6, ge=1)
    lifts: int = Field(default=0, ge=0)


class LayoutSpec(BaseModel):
    """Compact description of a layout, or a GraphML file to read it from."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    walking_speed_m_per_s: float = Field(default=1.2, gt=0, allow_inf_nan=False)
    buildings: BuildingGrid | None = None
    entrances: tuple[Point, ...] = ()
    sites: tuple[Point, ...] = ()
    graphml: str | None = Field(default=None, description="path, relative to the scenario")


class Layout:
    """A validated layout graph with cached walking times."""

    def __init__(self, graph: nx.Graph, walking_speed_m_per_s: float = 1.2) -> None:
        _check_graph(graph)
        self.graph = graph
        self.walking_speed = walking_speed_m_per_s
        self.buildings = tuple(n for n, d in graph.nodes(data=True) if d["kind"] == "building")
        self.sites = tuple(n for n, d in graph.nodes(data=True) if d["kind"] == "site")
        self.entrances = tuple(n for n, d in graph.nodes(data=True) if d["kind"] == "entrance")
        self._distances = cache(self._distances_to)

    @classmethod
    def from_spec(cls, spec: LayoutSpec, base_dir: Path | None = None) -> Layout:
        if spec.graphml is not None:
            path = Path(spec.graphml)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            return cls.from_graphml(path, spec.walking_speed_m_per_s)
        if spec.buildings is None:
            raise LayoutError("layout needs either 'buildings' or 'graphml'")
        return cls(_grid_graph(spec), spec.walking_speed_m_per_s)

    @classmethod
    def from_graphml(cls, path: Path, walking_speed_m_per_s: float = 1.2) -> Layout:
        try:
            raw = nx.read_graphml(path)
        except (OSError, nx.NetworkXError, SyntaxError, ValueError) as exc:
            raise LayoutError(f"cannot read GraphML: {exc}") from None
        graph = nx.Graph()
        for node, data in raw.nodes(data=True):
            graph.add_node(str(node), **data)
        for a, b, data in raw.edges(data=True):
            graph.add_edge(str(a), str(b), **data)
        return cls(graph, walking_speed_m_per_s)

    def households(self, building: str) -> int:
        return int(self.graph.nodes[building]["households"])

    @property
    def total_households(self) -> int:
        return sum(self.households(b) for b in self.buildings)

    def distance_m(self, a: str, b: str) -> float:
        """Shortest walking distance between two nodes, in metres."""
        distance = self._distances(b).get(a)
        if distance is None:
            raise LayoutError(f"no path from {a!r} to {b!r}")
        return float(distance)

    def walk_seconds(self, a: str, b: str) -> float:
        return self.distance_m(a, b) / self.walking_speed

    def _distances_to(self, target: str) -> dict[str, float]:
        if target not in self.graph:
            raise LayoutError(f"unknown node {target!r}")
        return dict(nx.single_source_dijkstra_path_length(self.graph, target, weight="length_m"))


def _grid_graph(spec: LayoutSpec) -> nx.Graph:
    grid = spec.buildings
    assert grid is not None
    graph = nx.Graph()
    for row in range(grid.rows):
        for col in range(grid.per_row):
            graph.add_node(
                f"B{row + 1:02d}-{col + 1:02d}",
                kind="building",
                x=col * grid.spacing_m,
                y=row * grid.spacing_m,
                households=grid.households,
                floors=grid.floors,
                lifts=grid.lifts,
            )
    for row in range(grid.rows):
        for col in range(grid.per_row):
            here = f"B{row + 1:02d}-{col + 1:02d}"
            if col + 1 < grid.per_row:
                graph.add_edge(here, f"B{row + 1:02d}-{col + 2:02d}", length_m=grid.spacing_m)
            if row + 1 < grid.rows:
                graph.add_edge(here, f"B{row + 2:02d}-{col + 1:02d}", length_m=grid.spacing_m)
    buildings = list(graph.nodes)
    for kind, points in (("entrance", spec.entrances), ("site", spec.sites)):
        for point in points:
            if point.name in graph:
                raise LayoutError(f"duplicate node name {point.name!r}")
            nearest = min(buildings, key=lambda b: _dist(graph.nodes[b], point.x, point.y))
            graph.add_node(point.name, kind=kind, x=point.x, y=point.y)
            # A site inside a building's footprint is a zero-length walk away.
            graph.add_edge(
                point.name, nearest, length_m=_dist(graph.nodes[nearest], point.x, point.y)
            )
    return graph


def _dist(node: dict[str, float], x: float, y: float) -> float:
    return math.hypot(node["x"] - x, node["y"] - y)


def _check_graph(graph: nx.Graph) -> None:
    if graph.number_of_nodes() == 0:
        raise LayoutError("layout has no nodes")
    for node, data in graph.nodes(data=True):
        kind = data.get("kind")
        if kind not in KINDS:
            raise LayoutError(f"node {node!r}: attribute 'kind' must be one of {', '.join(KINDS)}")
        if kind == "building":
            households = data.get("households")
            if not _is_positive_int(households):
                raise LayoutError(f"node {node!r}: building needs integer 'households' >= 1")
            data["households"] = int(households)
    for a, b, data in graph.edges(data=True):
        length = data.get("length_m")
        numeric = isinstance(length, int | float) and not isinstance(length, bool)
        if not numeric or not math.isfinite(length) or length < 0:
            raise LayoutError(f"edge {a!r}-{b!r}: needs numeric 'length_m' >= 0")
    if not any(d["kind"] == "building" for _, d in graph.nodes(data=True)):
        raise LayoutError("layout has no building")
    if not nx.is_connected(graph):
        raise LayoutError("layout is not connected: every node must be reachable on foot")


def _is_positive_int(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 1
    if isinstance(value, float):
        return value.is_integer() and value >= 1
    return False
