"""Bad input gets one clear line (file, field path, expectation), exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from experiments.cli import main
from scenarios import MAX_BYTES, builtin_path

GOOD = builtin_path("erlang-loss-locker").read_text()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str], out: Path) -> str:
    code = main([*argv, "--out", str(out), "--quiet"]) if argv[0] == "run" else main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("twin: error: ")
    assert "Traceback" not in err
    assert not out.exists(), "nothing may be written on failure"
    return err


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("days: 28", "days: many", "days: Input should be a valid number"),
        ("compartments: {S: 10}", "compartments: {S: -3}", "lockers.banks.0.compartments.S"),
        ("compartments: {S: 10}", "compartments: {S: 0}", "at least one compartment"),
        ("overflow: lost", "overflow: sometimes", "lockers.overflow"),
        ("overflow: lost", "overflow: lost\n  colour: red", "lockers.colour: unknown field"),
        ("name: erlang-loss-locker", "name: x\nbogus: 1", "bogus: unknown field"),
        ("{kind: exponential, mean: 1}", "{kind: poisson, mean: 1}", "pickup.delay_hours"),
        ("{kind: exponential, mean: 1}", "{kind: exponential, mean: 0}", "greater than 0"),
        ("site: lobby", "site: nowhere", "lockers.banks.0.site: 'nowhere' is not a site"),
        ("share: 1", "share: 0.5", "waves' shares must sum to 1"),
    ],
)
def test_invalid_field_names_file_and_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    path = _write(tmp_path, "bad.yaml", GOOD.replace(old, new, 1))
    err = _fails(capsys, ["run", str(path)], tmp_path / "out")
    assert str(path) in err
    assert expected in err


def test_unknown_set_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    err = _fails(capsys, ["run", "erlang-loss-locker", "--set", "lockers.bogus=1"], out)
    assert "--set: lockers.bogus: unknown field" in err
    err = _fails(capsys, ["run", "erlang-loss-locker", "--set", "lockers.banks.3.site=x"], out)
    assert "--set: lockers.banks.3: expected a list index below 1" in err
    err = _fails(capsys, ["run", "erlang-loss-locker", "--set", "days.x=1"], out)
    assert "--set: days.x: no such field" in err
    err = _fails(capsys, ["run", "erlang-loss-locker", "--set", "days"], out)
    assert "expected dotted.path=value" in err


def test_set_value_of_wrong_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "erlang-loss-locker", "--set", "lockers.max_retries=lots"]
    err = _fails(capsys, argv, tmp_path / "out")
    assert "--set: lockers.max_retries: Input should be a valid integer" in err


def test_policy_error_names_the_policy_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = _write(tmp_path, "policy.yaml", "lockers:\n  fees: {free_hours: -1}\n")
    err = _fails(capsys, ["run", "default", "--policy", str(policy)], tmp_path / "out")
    assert f"{policy}: lockers.fees.free_hours" in err


def test_unknown_scenario_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(capsys, ["run", "no-such-place"], tmp_path / "out")
    assert "no-such-place: unknown scenario name (built-ins: default" in err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(capsys, ["run", str(tmp_path / "absent.yaml")], tmp_path / "out")
    assert "cannot read file" in err


def test_alias_bomb_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        bomb.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    path = _write(tmp_path, "bomb.yaml", "\n".join(bomb) + "\n")
    err = _fails(capsys, ["run", str(path)], tmp_path / "out")
    assert "aliases (*a) are not allowed" in err


def test_file_over_size_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "big.yaml", GOOD + "#" * (MAX_BYTES + 1))
    err = _fails(capsys, ["run", str(path)], tmp_path / "out")
    assert "over the 1048576-byte limit" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: [unclosed\n", "not valid YAML"),
        ("just a sentence\n", "expected a mapping of sections"),
        ("name: a\nname: b\n", "duplicate key 'name'"),
        ("!!python/object/apply:os.system ['true']\n", "not valid YAML"),
    ],
)
def test_not_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    path = _write(tmp_path, "bad.yaml", text)
    err = _fails(capsys, ["run", str(path)], tmp_path / "out")
    assert expected in err


def test_binary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    err = _fails(capsys, ["run", str(path)], tmp_path / "out")
    assert "not UTF-8 text" in err


def _graphml_scenario(tmp_path: Path, graph: nx.Graph) -> Path:
    nx.write_graphml(graph, tmp_path / "layout.graphml")
    text = GOOD.replace(
        "  buildings: {rows: 1, per_row: 1, spacing_m: 10, households: 100}\n"
        "  sites:\n    - {name: lobby, x: 0, y: 0}\n",
        "  graphml: layout.graphml\n",
    )
    assert "graphml" in text
    return _write(tmp_path, "graph.yaml", text)


def test_graphml_without_required_attributes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = nx.Graph()
    graph.add_node("home", kind="building")  # no households
    graph.add_node("lobby", kind="site")
    graph.add_edge("home", "lobby", length_m=5.0)
    path = _graphml_scenario(tmp_path, graph)
    err = _fails(capsys, ["run", str(path)], tmp_path / "out")
    assert f"{path}: layout.graphml: node 'home': building needs integer 'households'" in err

    graph.nodes["home"]["households"] = 100
    del graph.edges["home", "lobby"]["length_m"]
    graph.edges["home", "lobby"]["width"] = 2.0
    path = _graphml_scenario(tmp_path, graph)
    err = _fails(capsys, ["run", str(path)], tmp_path / "out")
    assert "edge 'home'-'lobby': needs numeric 'length_m'" in err


def test_graphml_layout_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = nx.Graph()
    graph.add_node("home", kind="building", households=100)
    graph.add_node("lobby", kind="site")
    graph.add_edge("home", "lobby", length_m=0.0)
    path = _graphml_scenario(tmp_path, graph)
    out = tmp_path / "out"
    assert main(["run", str(path), "--days", "1", "--out", str(out), "--quiet"]) == 0
    assert (out / "kpis.json").exists()


def test_bad_arguments_exit_nonzero_without_traceback(tmp_path: Path) -> None:
    for argv in (["--days", "-1"], ["--seed", "x"], ["--days", "nan"]):
        proc = subprocess.run(
            [sys.executable, "-m", "experiments.cli", "run", "erlang-loss-locker", *argv],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr
        assert not (tmp_path / "out").exists()


def test_bad_file_in_subprocess_has_no_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", GOOD.replace("days: 28", "days: -5"))
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.cli", "run", str(path), "--out", "o"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"twin: error: {path}: days: Input should be greater than 0 (got '-5')"
    )
    assert not (tmp_path / "o").exists()
