"""Experiment files: what to run, validated once like scenarios.

An experiment names base scenarios, policies (overlays; the scenario itself is the
baseline), factors and a design over them, the replications (fixed, or until each named
KPI's confidence interval is narrow enough), the horizon, the warm-up and a base seed.
``resolve_experiment`` turns it into concrete cells (scenario x policy x design point),
each a validated ``Scenario``; every error names the experiment file and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from experiments.design import design_points
from scenarios import BUILTINS, Scenario, ScenarioError, build_model, load
from scenarios.safe_yaml import YamlInputError, read_yaml

__all__ = [
    "BASELINE",
    "Cell",
    "DesignSpec",
    "ExperimentSpec",
    "Factor",
    "Precision",
    "ResolvedExperiment",
    "Warmup",
    "load_experiment",
    "resolve_experiment",
    "validate_spec",
]

BASELINE = "baseline"
Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PolicySpec(_Spec):
    """An overlay: a policy file, ``--set`` style assignments, or both (file first)."""

    file: str | None = None
    set: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> PolicySpec:
        if self.file is None and not self.set:
            raise ValueError("a policy needs 'file' or 'set'")
        return self


class Factor(_Spec):
    """A scenario field varied by the design: discrete ``levels`` or a range."""

    path: str = Field(min_length=1)
    levels: tuple[float | int | str | bool, ...] | None = Field(default=None, min_length=1)
    low: float | None = Field(default=None, allow_inf_nan=False)
    high: float | None = Field(default=None, allow_inf_nan=False)
    integer: bool = False

    @model_validator(mode="after")
    def _levels_or_range(self) -> Factor:
        has_range = self.low is not None or self.high is not None
        if self.levels is None and not has_range:
            raise ValueError("give 'levels' or 'low' and 'high'")
        if self.levels is not None and has_range:
            raise ValueError("give 'levels' or a range, not both")
        if has_range:
            if self.low is None or self.high is None:
                raise ValueError("a range needs both 'low' and 'high'")
            if self.low >= self.high:
                raise ValueError(f"range reversed or empty: low {self.low} >= high {self.high}")
        return self


class DesignSpec(_Spec):
    kind: Literal["full_factorial", "latin_hypercube", "sobol", "morris"] = "full_factorial"
    samples: int | None = Field(default=None, ge=1, le=100_000)
    trajectories: int | None = Field(default=None, ge=2, le=10_000)
    levels: int = Field(default=4, ge=2, le=20, description="grid levels (morris)")


class Precision(_Spec):
    """Replicate until each KPI's 95% CI half-width is at most its target (absolute)."""

    until: dict[str, float] = Field(min_length=1)
    min: int = Field(default=5, ge=2)
    max: int = Field(default=100, ge=2, le=10_000)

    @model_validator(mode="after")
    def _bounds(self) -> Precision:
        if self.max < self.min:
            raise ValueError("max must be at least min")
        for kpi, target in self.until.items():
            if not target > 0:
                raise ValueError(f"target for {kpi!r} must be positive")
        return self


class Warmup(_Spec):
    """A fixed warm-up in days, or MSER-5 on a pilot run's hourly series."""

    days: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    method: Literal["fixed", "mser5"] = "fixed"
    series: str = "lockers.occupancy"

    @model_validator(mode="after")
    def _consistent(self) -> Warmup:
        if self.method == "fixed" and self.days is None:
            raise ValueError("a fixed warm-up needs 'days'")
        if self.method == "mser5" and self.days is not None:
            raise ValueError("mser5 chooses the warm-up itself; drop 'days'")
        return self


class ExperimentSpec(_Spec):
    name: Name
    scenarios: tuple[str, ...] = Field(min_length=1)
    policies: dict[Name, str | PolicySpec] = Field(default_factory=dict)
    factors: tuple[Factor, ...] = ()
    design: DesignSpec = DesignSpec()
    replications: int | Precision = Field(default=10)
    days: float | None = Field(default=None, gt=0, le=3660, allow_inf_nan=False)
    warmup: Warmup = Warmup(days=0)
    seed: int = Field(default=1, ge=0, lt=2**62)
    kpis: tuple[str, ...] = ()
    pareto: tuple[str, str] | None = Field(
        default=None,
        description="two KPIs for the Pareto front (default: first two with a direction)",
    )
    keep_series: bool = Field(
        default=True, description="store hourly series (off halves the store's write cost)"
    )

    @model_validator(mode="after")
    def _checks(self) -> ExperimentSpec:
        if isinstance(self.replications, int) and not 2 <= self.replications <= 10_000:
            raise ValueError("replications must be between 2 and 10000")
        if BASELINE in self.policies:
            raise ValueError(f"'{BASELINE}' is the scenario itself; name the policy otherwise")
        return self


@dataclass(frozen=True)
class Cell:
    """One (scenario, policy, design point) combination, resolved to a scenario."""

    scenario_label: str
    policy: str
    point: int
    factors: Mapping[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class ResolvedExperiment:
    spec: ExperimentSpec
    source: str
    cells: tuple[Cell, ...]
    kpi_units: Mapping[str, str]
    kpi_descriptions: Mapping[str, str]
    kpi_better: Mapping[str, str | None]

    @property
    def policies(self) -> tuple[str, ...]:
        return (BASELINE, *self.spec.policies)


def load_experiment(path: Path) -> ResolvedExperiment:
    label = str(path)
    try:
        data = read_yaml(path)
    except YamlInputError as exc:
        raise ScenarioError(label, "", str(exc)) from None
    return resolve_experiment(validate_spec(data, label), label, base_dir=path.parent)


def validate_spec(data: Any, label: str) -> ExperimentSpec:
    """Validate raw experiment data; one error naming ``label`` and the field path."""
    if not isinstance(data, dict):
        raise ScenarioError(label, "", "expected a mapping at the top level")
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in error["loc"]) or "(top level)"
        message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        raise ScenarioError(label, loc, message) from None


def resolve_experiment(
    spec: ExperimentSpec, source: str, base_dir: Path | None = None
) -> ResolvedExperiment:
    """Expand into cells, validating every scenario, policy and factor up front."""
    base_dir = base_dir or Path.cwd()
    try:
        points = design_points(spec.factors, spec.design, spec.seed)
    except ValueError as exc:
        raise ScenarioError(source, "design", str(exc)) from None
    policies = {name: _policy(value) for name, value in spec.policies.items()}
    cells: list[Cell] = []
    units: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    better: dict[str, str | None] = {}
    for s_index, scenario_source in enumerate(spec.scenarios):
        resolved_source = _relative(scenario_source, base_dir)
        for policy in (BASELINE, *policies):
            overlay = policies.get(policy)
            files = [_relative(overlay.file, base_dir)] if overlay and overlay.file else []
            sets = list(overlay.set) if overlay else []
            for point, values in enumerate(points):
                factor_sets = [f"{path}={_yaml_scalar(v)}" for path, v in values.items()]
                if spec.days is not None:
                    factor_sets.append(f"days={spec.days!r}")
                try:
                    scenario = load(resolved_source, policies=files, sets=[*sets, *factor_sets])
                except ScenarioError as exc:
                    where = _blame(exc, spec, policy if overlay else None, s_index)
                    raise ScenarioError(source, where, str(exc)) from None
                cells.append(Cell(scenario_source, policy, point, dict(values), scenario))
                if not units:
                    for kpi in build_model(scenario).kpis:
                        units[kpi.name] = kpi.unit
                        descriptions[kpi.name] = kpi.description
                        better[kpi.name] = kpi.better
    _check_kpis(spec, source, units)
    return ResolvedExperiment(spec, source, tuple(cells), units, descriptions, better)


def _blame(exc: ScenarioError, spec: ExperimentSpec, policy: str | None, index: int) -> str:
    """The experiment field behind a scenario error: a factor, a policy or a scenario."""
    if exc.source == "--set":
        for i, factor in enumerate(spec.factors):
            if exc.path == factor.path or exc.path.startswith(factor.path + "."):
                return f"factors.{i}"
    return f"policies.{policy}" if policy is not None else f"scenarios.{index}"


def _check_kpis(spec: ExperimentSpec, source: str, known: Mapping[str, str]) -> None:
    named: list[tuple[str, str]] = [(f"kpis.{i}", k) for i, k in enumerate(spec.kpis)]
    named += [(f"pareto.{i}", k) for i, k in enumerate(spec.pareto or ())]
    if isinstance(spec.replications, Precision):
        named += [(f"replications.until.{k}", k) for k in spec.replications.until]
    for where, kpi in named:
        if kpi not in known:
            raise ScenarioError(source, where, f"unknown KPI {kpi!r} (see `twin kpis`)")


def _policy(value: str | PolicySpec) -> PolicySpec:
    return PolicySpec(file=value) if isinstance(value, str) else value


def _relative(source: str, base_dir: Path) -> str:
    if source in BUILTINS or Path(source).is_absolute():
        return source
    return str(base_dir / source)


def _yaml_scalar(value: Any) -> str:
    # Values go through the scenario loader's YAML parser, like a `--set` on the CLI.
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)
