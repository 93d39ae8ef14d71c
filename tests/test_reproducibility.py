"""Reproducibility: same seed, same KPIs in any process; named streams; no global RNG.

The cross-process tests run fresh interpreters, through the ``twin run`` CLI and through
``twin.simulate`` directly (``python -c``), with ``PYTHONHASHSEED`` fixed to different
values and left random, so a result that depended on set or dict-of-hash ordering, on
``id()`` or on the wall clock would show up as a difference.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import scenarios
import twin

HASH_SEEDS = ("0", "1", "12345")
SCENARIO, DAYS, SEED, OTHER_SEED = "erlang-loss-locker", 3, 5, 6
TIMEOUT = 300


def _env(hash_seed: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONHASHSEED", None)
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    return env


def _run_all(commands: list[tuple[list[str], dict[str, str]]]) -> list[str]:
    """Run commands concurrently (each its own process); their stdout, all must succeed."""
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for cmd, env in commands
    ]
    outputs = []
    for (cmd, _), proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{err}"
        outputs.append(out)
    return outputs


def _in_process_kpis(seed: int) -> dict[str, float | None]:
    scenario = scenarios.load(SCENARIO, sets=[f"days={DAYS}"])
    return twin.simulate(scenarios.build_model(scenario), seed=seed).kpis_json_ready()


# -- the CLI, in separate processes --------------------------------------------------------


def _twin_executable() -> str:
    beside = Path(sys.executable).parent / "twin"
    found = str(beside) if beside.exists() else shutil.which("twin")
    assert found, "the 'twin' console script is not installed (pip install -e .)"
    return found


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """kpis.json bytes of ``twin run`` under several hash seeds and a second seed."""
    base = tmp_path_factory.mktemp("cli")
    runs = {f"hash{h}": (SEED, h) for h in HASH_SEEDS}
    runs["other-seed"] = (OTHER_SEED, "0")
    commands = []
    for label, (seed, hash_seed) in runs.items():
        out = base / label
        cmd = [_twin_executable(), "run", SCENARIO, "--days", str(DAYS), "--seed", str(seed)]
        commands.append(([*cmd, "--out", str(out), "--quiet"], _env(hash_seed)))
    _run_all(commands)
    return {label: (base / label / "kpis.json").read_bytes() for label in runs}


def _flat_kpis(raw: bytes) -> dict[str, float | None]:
    data = json.loads(raw)
    assert isinstance(data, dict) and data
    for name, value in data.items():
        assert isinstance(name, str)
        assert value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    return data


def test_cli_same_seed_identical_kpis_across_processes_and_hash_seeds(
    cli_runs: dict[str, bytes],
) -> None:
    reference = cli_runs["hash0"]
    kpis = _flat_kpis(reference)
    assert kpis["parcels.arrived"] and kpis["parcels.arrived"] > 0
    for label in (f"hash{h}" for h in HASH_SEEDS):
        assert cli_runs[label] == reference, f"kpis.json differs for {label}"


def test_cli_different_seeds_give_different_kpis(cli_runs: dict[str, bytes]) -> None:
    same, other = _flat_kpis(cli_runs["hash0"]), _flat_kpis(cli_runs["other-seed"])
    assert same.keys() == other.keys()
    assert same != other
    assert same["parcels.arrived"] != other["parcels.arrived"]


def test_cli_kpis_equal_the_simulate_seam(cli_runs: dict[str, bytes]) -> None:
    # The CLI is a thin face over simulate(): the same run in this process agrees exactly.
    assert _flat_kpis(cli_runs["hash1"]) == _in_process_kpis(SEED)


# -- twin.simulate, in separate processes (independent of the CLI) -------------------------

SIMULATE_CODE = """
import json, sys
import scenarios, twin
scenario = scenarios.load(sys.argv[1], sets=["days=" + sys.argv[2]])
result = twin.simulate(scenarios.build_model(scenario), seed=int(sys.argv[3]))
print(json.dumps(result.kpis_json_ready(), sort_keys=True))
"""


@pytest.fixture(scope="module")
def simulate_runs() -> dict[str, str]:
    runs = {f"hash{h}": (SEED, h) for h in HASH_SEEDS}
    runs["random-hash"] = (SEED, None)
    runs["other-seed"] = (OTHER_SEED, "1")
    commands = [
        ([sys.executable, "-c", SIMULATE_CODE, SCENARIO, str(DAYS), str(seed)], _env(hash_seed))
        for seed, hash_seed in runs.values()
    ]
    return dict(zip(runs, _run_all(commands), strict=True))


def test_simulate_same_seed_identical_kpis_across_processes_and_hash_seeds(
    simulate_runs: dict[str, str],
) -> None:
    reference = simulate_runs["hash0"]
    assert json.loads(reference)["parcels.arrived"] > 0
    for label, output in simulate_runs.items():
        if label != "other-seed":
            assert output == reference, f"KPIs differ for {label}"
    assert json.loads(reference) == _in_process_kpis(SEED)


def test_simulate_different_seeds_give_different_kpis(simulate_runs: dict[str, str]) -> None:
    same, other = json.loads(simulate_runs["hash0"]), json.loads(simulate_runs["other-seed"])
    assert same.keys() == other.keys()
    assert same != other
    assert json.loads(simulate_runs["other-seed"]) == _in_process_kpis(OTHER_SEED)


# -- named streams: an unrelated stream leaves the parcel draws unchanged -----------------


def test_unrelated_stream_leaves_parcel_draws_unchanged_at_streams_level() -> None:
    alone = twin.Streams(7)("parcels.arrivals").random(500)
    streams = twin.Streams(7)
    fire = streams("hazards.fire")
    fire.random(10_000)
    fire.exponential(3.0, 777)
    beside = streams("parcels.arrivals").random(500)
    np.testing.assert_array_equal(alone, beside)
    # Interleaving draws of the two streams does not couple them either.
    streams = twin.Streams(7)
    interleaved = []
    for i in range(0, 500, 50):
        streams("hazards.fire").random(i + 1)
        interleaved.append(streams("parcels.arrivals").random(50))
    np.testing.assert_array_equal(alone, np.concatenate(interleaved))


@dataclass
class FireHazard:
    """A test subsystem that draws heavily from its own stream all through the run."""

    kpis: tuple[twin.KPI, ...] = ()
    draws: int = 0

    def setup(self, world: twin.World) -> None:
        rng = world.streams("hazards.fire")
        rng.random(1000)
        self.draws += 1000

        def smoulder() -> Iterator[Any]:
            while True:
                rng.random(500)
                self.draws += 501
                yield world.env.timeout(rng.exponential(600.0))

        world.env.process(smoulder())

    def kpi_values(self, world: twin.World) -> Mapping[str, float]:
        return {}


@pytest.mark.parametrize(
    ("name", "sets"),
    [
        (SCENARIO, ["days=3"]),
        (
            "default",
            [
                "days=2",
                "layout.buildings={rows: 2, per_row: 3, spacing_m: 30, households: 40}",
                "lockers.spill_to_other_banks=true",
                "lockers.overflow=retry",
                "lockers.banks.0.compartments={S: 3, M: 1, L: 0}",
            ],
        ),
    ],
)
def test_extra_subsystem_leaves_parcel_kpis_unchanged(name: str, sets: list[str]) -> None:
    model = scenarios.build_model(scenarios.load(name, sets=sets))
    fire = FireHazard()
    with_fire = twin.CompositeModel(
        name=model.name,
        calendar=model.calendar,
        default_horizon=model.default_horizon,
        # The hazard comes first: its stream is created before any parcel stream.
        subsystems=(fire, *model.subsystems),
    )
    plain = twin.simulate(model, seed=SEED)
    mixed = twin.simulate(with_fire, seed=SEED)
    assert fire.draws > 100_000  # it really ran, drawing heavily, all through the run
    assert "hazards.fire" in mixed.provenance["random_streams"]
    assert "hazards.fire" not in plain.provenance["random_streams"]
    assert dict(mixed.kpis) == dict(plain.kpis)
    assert mixed.series.equals(plain.series)
    # And the parcel KPIs do depend on the seed, so equality above is not vacuous.
    assert dict(twin.simulate(model, seed=SEED + 1).kpis) != dict(plain.kpis)


# -- global RNG state and the conformance checker ------------------------------------------


@pytest.fixture
def restore_global_rngs() -> Iterator[None]:
    """Bad models below touch the global RNGs on purpose; put them back afterwards."""
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    yield
    random.setstate(python_state)
    np.random.set_state(numpy_state)


@pytest.mark.parametrize(
    ("name", "sets"),
    [
        (SCENARIO, ["days=2"]),
        (
            "default",
            ["days=1", "layout.buildings={rows: 2, per_row: 2, spacing_m: 20, households: 30}"],
        ),
    ],
)
def test_a_run_leaves_global_random_states_unchanged(
    restore_global_rngs: None, name: str, sets: list[str]
) -> None:
    random.seed(2026)
    np.random.seed(2026)
    python_state = random.getstate()
    numpy_state = repr(np.random.get_state(legacy=False))
    result = twin.simulate(scenarios.build_model(scenarios.load(name, sets=sets)), seed=3)
    assert result.kpis["parcels.arrived"] > 0
    assert random.getstate() == python_state
    assert repr(np.random.get_state(legacy=False)) == numpy_state


def test_check_model_passes_for_the_reference_model() -> None:
    twin.check_model(lambda: scenarios.build_model(scenarios.load(SCENARIO)), horizon=twin.days(2))


@dataclass
class TinyModel:
    """A minimal ``twin.Model``; ``behaviour`` decides how it misbehaves."""

    behaviour: str = "good"
    name: str = "tiny"
    calendar: twin.Calendar = field(default_factory=twin.Calendar)
    default_horizon: float = twin.hours(6)
    kpis: tuple[twin.KPI, ...] = (
        twin.KPI("tiny.events", "events", "events that happened"),
        twin.KPI("tiny.value", "units", "a value read at the end"),
    )

    def setup(self, world: twin.World) -> None:
        rng = world.streams("tiny")
        if self.behaviour == "ignores-seed":
            rng = np.random.default_rng(0)
        counter = world.counter("tiny.events")
        world.state["tiny"] = {"last": 0.0}
        if self.behaviour == "numpy-global":
            np.random.random()
        if self.behaviour == "random-global-seeded":
            random.seed(42)  # deterministic KPIs, but it clobbers the user's global state

        def tick() -> Iterator[Any]:
            while True:
                yield world.env.timeout(float(rng.exponential(60.0)))
                counter.add()
                world.state["tiny"]["last"] = float(rng.random())

        world.env.process(tick())

    def kpi_values(self, world: twin.World) -> Mapping[str, float]:
        value = world.state["tiny"]["last"]
        if self.behaviour in ("random-global", "random-global-seeded"):
            value += random.random()
        elif self.behaviour == "id":
            _KEEP_ALIVE.append(world)  # both worlds alive: their ids certainly differ
            value += float(id(world))
        elif self.behaviour == "time":
            value += float(time.perf_counter_ns())
        elif self.behaviour == "unseeded-generator":
            value += float(np.random.default_rng().random())
        values = {"tiny.events": float(world.counters["tiny.events"].value), "tiny.value": value}
        if self.behaviour == "omits-kpi":
            del values["tiny.value"]
        if self.behaviour == "undeclared-kpi":
            values["tiny.extra"] = 1.0
        return values


_KEEP_ALIVE: list[twin.World] = []


def test_check_model_accepts_a_good_tiny_model() -> None:
    twin.check_model(TinyModel)
    result = twin.simulate(TinyModel(), seed=1)
    assert result.kpis["tiny.events"] > 100  # the good model does run its behaviour


@pytest.mark.parametrize(
    "behaviour",
    [
        "random-global",
        "random-global-seeded",
        "numpy-global",
        "id",
        "time",
        "unseeded-generator",
        "omits-kpi",
        "undeclared-kpi",
        "ignores-seed",
    ],
)
def test_check_model_detects_bad_models(restore_global_rngs: None, behaviour: str) -> None:
    with pytest.raises((twin.ConformanceError, twin.ModelError)):
        twin.check_model(lambda: TinyModel(behaviour=behaviour))
    _KEEP_ALIVE.clear()


def test_check_model_names_the_broken_rule(restore_global_rngs: None) -> None:
    with pytest.raises(twin.ConformanceError, match="random"):
        twin.check_model(lambda: TinyModel(behaviour="random-global"))
    with pytest.raises(twin.ConformanceError, match=r"numpy\.random"):
        twin.check_model(lambda: TinyModel(behaviour="numpy-global"))
    with pytest.raises(twin.ConformanceError, match=r"tiny\.value"):
        twin.check_model(lambda: TinyModel(behaviour="time"))
    with pytest.raises(twin.ModelError, match=r"tiny\.value"):
        twin.check_model(lambda: TinyModel(behaviour="omits-kpi"))
    with pytest.raises(twin.ConformanceError, match="is the seed used"):
        twin.check_model(lambda: TinyModel(behaviour="ignores-seed"))
    twin.check_model(lambda: TinyModel(behaviour="ignores-seed"), stochastic=False)
