"""The ``twin`` command line: files written, their formats, and reproducing a run."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from agents.parcels import KPIS
from experiments import OUTPUT_FILES
from experiments.cli import main


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    assert main(["run", "default", "--days", "3", "--seed", "4", "--out", str(out)]) == 0
    return out


def test_run_writes_every_file(default_run: Path) -> None:
    assert sorted(p.name for p in default_run.iterdir()) == sorted(OUTPUT_FILES)
    for png in ("occupancy.png", "dwell.png"):
        assert (default_run / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_kpis_json_is_flat_and_declared(default_run: Path) -> None:
    kpis = json.loads((default_run / "kpis.json").read_text())
    assert set(kpis) == {kpi.name for kpi in KPIS}
    assert all(isinstance(v, int | float) or v is None for v in kpis.values())
    assert kpis["parcels.arrived"] > 0


def test_timeseries_is_tidy_hourly(default_run: Path) -> None:
    frame = pd.read_csv(default_run / "timeseries.csv")
    assert list(frame.columns) == ["time", "series", "value"]
    times = pd.to_datetime(frame["time"], format="%Y-%m-%dT%H:%M:%S")
    assert set(frame["series"]) == {
        "lockers.occupancy",
        "lockers.occupancy.south",
        "lockers.occupancy.centre",
        "lockers.occupancy.north",
    }
    per_series = frame.assign(time=times).groupby("series")["time"]
    assert (per_series.count() == 72).all()  # 3 days of hours
    assert (per_series.apply(lambda t: t.diff().dropna().dt.total_seconds().eq(3600).all())).all()
    assert times.min() == pd.Timestamp("2026-03-02T00:00:00")


def test_resolved_scenario_reproduces_the_run(default_run: Path, tmp_path: Path) -> None:
    resolved = yaml.safe_load((default_run / "scenario.yaml").read_text())
    assert resolved["days"] == 3
    again = tmp_path / "again"
    argv = ["run", str(default_run / "scenario.yaml"), "--seed", "4", "--out", str(again)]
    assert main([*argv, "--quiet", "--no-figures"]) == 0
    assert (again / "kpis.json").read_text() == (default_run / "kpis.json").read_text()
    first = json.loads((default_run / "provenance.json").read_text())
    second = json.loads((again / "provenance.json").read_text())
    assert first["scenario_hash"] == second["scenario_hash"]
    assert first["seed"] == 4
    assert {"python", "simpy", "mesa"} <= set(first["versions"])
    assert first["wall_seconds"] > 0


def test_policy_and_set_overlays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "retry.yaml"
    policy.write_text("lockers:\n  overflow: retry\n  max_retries: 2\n")
    argv = ["show", "default", "--policy", str(policy), "--set", "lockers.fees.free_hours=12"]
    assert main(argv) == 0
    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown["lockers"]["overflow"] == "retry"
    assert shown["lockers"]["max_retries"] == 2
    assert shown["lockers"]["fees"]["free_hours"] == 12
    assert shown["lockers"]["fees"]["per_12h_cny"] == 0.5  # untouched by the overlay
    assert len(shown["lockers"]["banks"]) == 3


def test_double_11_extends_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "double-11"]) == 0
    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown["name"] == "double-11"
    assert shown["days"] == 7
    assert len(shown["lockers"]["banks"]) == 3
    assert "extends" not in shown


def test_scenarios_and_kpis_listings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == ["default", "old-lane", "double-11", "erlang-loss-locker"]
    assert main(["kpis", "erlang-loss-locker"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(KPIS)
    assert lines[0].split()[:2] == ["parcels.arrived", "parcels"]


def test_table_shows_units(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "erlang-loss-locker", "--days", "1", "--out", str(tmp_path / "o")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    rate = next(line for line in out.splitlines() if line.startswith("lockers.overflow_rate"))
    assert rate.split()[-1] == "%"
    kpis = json.loads((tmp_path / "o" / "kpis.json").read_text())
    assert float(rate.split()[1]) == pytest.approx(kpis["lockers.overflow_rate"] * 100, abs=0.01)


def _run_on_tty(args: list[str], cwd: Path) -> str:
    """Run the CLI with stderr on a pseudo-terminal and return what it printed there."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        cwd=cwd,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(leader)
    assert proc.returncode == 0
    return b"".join(chunks).decode(errors="replace")


def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    long_run = ["run", "default", "--days", "365", "--no-figures", "--out", "o"]
    shown = _run_on_tty(long_run, tmp_path)
    assert "day" in shown and "365" in shown
    assert _run_on_tty([*long_run, "--quiet"], tmp_path) == ""
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.cli", *long_run],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert proc.stderr == ""  # not a terminal: no bar
