"""From untrusted files and overlays to one validated ``Scenario``.

Order of composition: the scenario file (after its ``extends`` chain), then each policy
file, then each ``--set dotted.path=value``; the merged data is validated once. Every
error names the file (or ``--set``) that supplied the offending field, the field path
and what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scenarios.catalogue import BUILTINS, builtin_path
from scenarios.errors import ScenarioError
from scenarios.safe_yaml import YamlInputError, parse_yaml, read_yaml
from scenarios.schema import Scenario
from twin import Layout, LayoutError, stable_hash

__all__ = ["dump_yaml", "layout_of", "load", "scenario_hash"]

_MAX_EXTENDS = 8
Origins = dict[tuple[str, ...], str]


def load(
    source: str | Path = "default",
    policies: Iterable[str | Path] = (),
    sets: Iterable[str] = (),
) -> Scenario:
    """Load a built-in name or YAML path, apply overlays, validate, check the layout."""
    origins: Origins = {}
    base_label, data = _resolve(str(source), origins, depth=0)
    for policy in policies:
        label = str(policy)
        overlay = _read_mapping(Path(policy), label)
        _merge(data, overlay, origins, label, ())
    for assignment in sets:
        _apply_set(data, assignment, origins)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _from_validation(exc, origins, base_label) from None
    _check_layout(scenario, origins, base_label)
    return scenario


def layout_of(scenario: Scenario) -> Layout:
    return Layout.from_spec(scenario.layout)


def dump_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML; loading it back gives the same scenario."""
    data = scenario.model_dump(mode="json", by_alias=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def scenario_hash(scenario: Scenario) -> str:
    return stable_hash(scenario.model_dump(mode="json", by_alias=True))


# -- reading ------------------------------------------------------------------------------
def _resolve(source: str, origins: Origins, depth: int) -> tuple[str, dict[str, Any]]:
    if depth > _MAX_EXTENDS:
        raise ScenarioError(source, "extends", f"more than {_MAX_EXTENDS} levels of 'extends'")
    if source in BUILTINS:
        path, label = builtin_path(source), f"{source} (built-in)"
    elif source.endswith((".yaml", ".yml")) or "/" in source:
        path, label = Path(source), source
    else:
        names = ", ".join(sorted(BUILTINS))
        raise ScenarioError(
            source, "", f"unknown scenario name (built-ins: {names}; or give a YAML path)"
        )
    data = _read_mapping(path, label)
    parent = data.pop("extends", None)
    if parent is None:
        _merge({}, data, origins, label, ())
        return label, data
    if not isinstance(parent, str):
        raise ScenarioError(label, "extends", "expected the name or path of a scenario")
    if parent not in BUILTINS and not Path(parent).is_absolute():
        parent = str(path.parent / parent)
    _, base = _resolve(parent, origins, depth + 1)
    _merge(base, data, origins, label, ())
    return label, base


def _read_mapping(path: Path, label: str) -> dict[str, Any]:
    try:
        data = read_yaml(path)
    except YamlInputError as exc:
        raise ScenarioError(label, "", str(exc)) from None
    if not isinstance(data, dict):
        raise ScenarioError(label, "", "expected a mapping of sections at the top level")
    _absolute_graphml(data, path.parent)
    return data


def _absolute_graphml(data: dict[str, Any], base_dir: Path) -> None:
    # A GraphML path is relative to the file that names it; resolved output stays valid.
    layout = data.get("layout")
    if isinstance(layout, dict) and isinstance(layout.get("graphml"), str):
        graphml = Path(layout["graphml"])
        if not graphml.is_absolute():
            layout["graphml"] = str((base_dir / graphml).resolve())


# -- composing ----------------------------------------------------------------------------
def _merge(
    base: dict[str, Any],
    overlay: Mapping[str, Any],
    origins: Origins,
    label: str,
    prefix: tuple[str, ...],
) -> None:
    """Deep-merge ``overlay`` into ``base``: mappings merge, anything else replaces."""
    for key, value in overlay.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, origins, label, path)
        else:
            base[key] = value
            _record(value, origins, label, path)


def _record(value: Any, origins: Origins, label: str, path: tuple[str, ...]) -> None:
    origins[path] = label
    if isinstance(value, dict):
        for key, item in value.items():
            _record(item, origins, label, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _record(item, origins, label, (*path, str(index)))


def _apply_set(data: dict[str, Any], assignment: str, origins: Origins) -> None:
    label = "--set"
    dotted, sep, text = assignment.partition("=")
    keys = dotted.strip().split(".")
    if not sep or not all(keys):
        raise ScenarioError(label, assignment, "expected dotted.path=value")
    try:
        value = parse_yaml(text)
    except YamlInputError as exc:
        raise ScenarioError(label, dotted, str(exc)) from None
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        node = _step(node, key, keys[: depth + 1], label)
    last = keys[-1]
    if isinstance(node, list):
        index = _index(node, last, keys, label)
        node[index] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError(label, dotted, "no such field: its parent is not a section")
    _record(value, origins, label, tuple(keys))


def _step(node: Any, key: str, path: list[str], label: str) -> Any:
    if isinstance(node, list):
        return node[_index(node, key, path, label)]
    if not isinstance(node, dict):
        raise ScenarioError(label, ".".join(path), "no such field: its parent is not a section")
    if key not in node:
        node[key] = {}
    return node[key]


def _index(node: list[Any], key: str, path: list[str], label: str) -> int:
    if not key.isdigit() or int(key) >= len(node):
        where = ".".join(path)
        raise ScenarioError(label, where, f"expected a list index below {len(node)}")
    return int(key)


# -- errors -------------------------------------------------------------------------------
def _from_validation(exc: ValidationError, origins: Origins, base_label: str) -> ScenarioError:
    error = exc.errors(include_url=False)[0]
    loc = tuple(str(part) for part in error["loc"])
    label = _origin(loc, origins, base_label)
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "missing":
        message = "required field is missing"
    else:
        message = error["msg"]
        if "input" in error and not isinstance(error["input"], dict | list):
            message += f" (got {str(error['input'])[:60]!r})"
    return ScenarioError(label, ".".join(loc) or "(top level)", message)


def _origin(loc: tuple[str, ...], origins: Origins, default: str) -> str:
    for end in range(len(loc), 0, -1):
        if loc[:end] in origins:
            return origins[loc[:end]]
    return default


def _check_layout(scenario: Scenario, origins: Origins, base_label: str) -> None:
    try:
        layout = layout_of(scenario)
    except LayoutError as exc:
        field = "layout.graphml" if scenario.layout.graphml else "layout"
        label = _origin(tuple(field.split(".")), origins, base_label)
        raise ScenarioError(label, field, str(exc)) from None
    for index, bank in enumerate(scenario.lockers.banks):
        if bank.site not in layout.sites:
            loc = ("lockers", "banks", str(index), "site")
            sites = ", ".join(layout.sites) or "none"
            raise ScenarioError(
                _origin(loc, origins, base_label),
                ".".join(loc),
                f"{bank.site!r} is not a site of the layout (sites: {sites})",
            )
