"""Campaigns: executors agree, the store survives kills, resume, designs, precision, CRN."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments import ResultStore, api, load_experiment, summarize
from experiments.cli import main
from experiments.executors import DaskCluster, InProcess, LocalProcesses
from experiments.outputs import COMPARISON_COLUMNS

EXPERIMENT = """\
name: small
scenarios: [erlang-loss-locker]
policies:
  bigger: {{set: ["lockers.banks.0.compartments.S=12"]}}
replications: {reps}
days: {days}
seed: 3
"""


def write_experiment(folder: Path, reps: int = 6, days: float = 2, name: str = "e.yaml") -> Path:
    path = folder / name
    path.write_text(EXPERIMENT.format(reps=reps, days=days))
    return path


def stored_kpis(store: Path) -> pd.DataFrame:
    with ResultStore(store) as results:
        frame = results.kpis()
    return frame.sort_values(["run_id", "kpi"]).reset_index(drop=True)


@pytest.mark.slow
def test_results_are_identical_whatever_the_executor(tmp_path: Path) -> None:
    path = write_experiment(tmp_path, reps=6)
    outputs = {}
    for name, executor in (
        ("inprocess", InProcess()),
        ("processes", LocalProcesses(2)),
        ("dask", DaskCluster("local", workers=2)),
    ):
        out = tmp_path / name
        with executor, ResultStore(out / "results.duckdb") as store:
            from experiments.campaign import run_campaign
            from experiments.outputs import write_outputs

            summary = run_campaign(load_experiment(path), store, executor)
            write_outputs(store, out)
        assert summary.stored == 12
        outputs[name] = out
    reference = stored_kpis(outputs["inprocess"] / "results.duckdb")
    assert len(reference) == 12 * 25
    for name in ("processes", "dask"):
        pd.testing.assert_frame_equal(stored_kpis(outputs[name] / "results.duckdb"), reference)
        assert (outputs[name] / "comparison.csv").read_bytes() == (
            outputs["inprocess"] / "comparison.csv"
        ).read_bytes()


def test_compare_writes_the_contract_and_is_reproducible(tmp_path: Path) -> None:
    policy = tmp_path / "bigger.yaml"
    policy.write_text("lockers:\n  banks:\n    - {name: r, site: lobby, compartments: {S: 14}}\n")
    runs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        argv = ["compare", "erlang-loss-locker", "--policy", str(policy), "--days", "2"]
        argv += ["--pareto", "lockers.overflow_rate", "parcels.dwell_hours_mean"]
        assert main([*argv, "--reps", "4", "--workers", workers, "--out", str(out), "--quiet"]) == 0
        runs.append(out)
    first = pd.read_csv(runs[0] / "comparison.csv")
    assert list(first.columns) == COMPARISON_COLUMNS
    assert set(first["policy"]) == {"baseline", "bigger"}
    assert (first["reps"] == 4).all()
    assert (runs[0] / "comparison.csv").read_bytes() == (runs[1] / "comparison.csv").read_bytes()
    html = (runs[0] / "report.html").read_text()
    assert "bigger" in html and "<img" in html
    rate = first[(first["kpi"] == "lockers.overflow_rate") & (first["policy"] == "bigger")]
    assert rate["diff_ci_high"].item() < 0  # more compartments, less overflow: significant
    ranking = pd.read_csv(runs[0] / "ranking.csv")
    best = ranking[(ranking["kpi"] == "lockers.overflow_rate") & (ranking["rank"] == 1)]
    assert best["policy"].item() == "bigger"
    assert ranking.loc[ranking["kpi"] == "lockers.overflow_rate", "differs_from_best"].any()
    precision = pd.read_csv(runs[0] / "precision.csv")
    assert (precision["reps_needed"].dropna() >= 2).all()
    assert "Ranking" in html and "Precision" in html
    pareto = pd.read_csv(runs[0] / "pareto.csv")
    assert {"lockers.overflow_rate", "parcels.dwell_hours_mean", "pareto"} <= set(pareto.columns)
    assert pareto["pareto"].any()
    for table in ("runs", "kpis", "series"):
        assert (runs[0] / "export" / f"{table}.parquet").exists()
        assert (runs[0] / "export" / f"{table}.csv").exists()


def test_resume_runs_only_what_is_missing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = api.experiment(write_experiment(tmp_path, reps=3), out, workers=1)
    assert (first.summary.stored, first.summary.already_stored) == (6, 0)
    with pytest.raises(FileExistsError):
        api.experiment(write_experiment(tmp_path, reps=5), out, workers=1)
    more = api.experiment(write_experiment(tmp_path, reps=5), out, workers=1, resume=True)
    assert (more.summary.stored, more.summary.already_stored) == (4, 6)
    again = api.experiment(write_experiment(tmp_path, reps=5), out, workers=1, resume=True)
    assert again.summary.stored == 0
    frame = stored_kpis(out / "results.duckdb")
    per_run = frame.groupby("run_id").size()
    assert len(per_run) == 10 and (per_run == 25).all()
    assert sorted(frame["replication"].unique()) == [0, 1, 2, 3, 4]


def test_the_store_never_holds_a_replication_twice(tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.experiment(write_experiment(tmp_path, reps=2), out, workers=1)
    with ResultStore(out / "results.duckdb") as store:
        runs = store.runs()
        frame = store.kpis()
        series = store.series()
    from experiments.records import RunRecord

    run = runs.iloc[0]
    kpis = frame[frame["run_id"] == run["run_id"]]
    record = RunRecord(
        run_id=run["run_id"], campaign="small", scenario=run["scenario"], policy=run["policy"],
        point=int(run["point"]), replication=int(run["replication"]), seed=int(run["seed"]),
        factors={}, kpis=dict(zip(kpis["kpi"], kpis["value"], strict=True)),
        series=series[series["run_id"] == run["run_id"]].drop(columns=["run_id"]),
    )  # fmt: skip
    with ResultStore(out / "results.duckdb") as store:
        before = store.count()
        assert store.add(record) is False
        assert store.count() == before
        assert len(store.kpis()) == len(frame)


CAMPAIGN_SCRIPT = """
import sys
from experiments import api
def stored(record):
    print(record.run_id, flush=True)
api.experiment(sys.argv[1], sys.argv[2], workers=int(sys.argv[3]), resume=True,
               on_stored=stored)
print("DONE", flush=True)
"""


def _killed_campaign(path: Path, out: Path, workers: int, after_lines: int) -> list[str]:
    """Start a campaign in its own session, SIGKILL it after ``after_lines`` stored runs."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CAMPAIGN_SCRIPT, str(path), str(out), str(workers)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    for line in proc.stdout:
        if line.strip() == "DONE":
            break
        seen.append(line.strip())
        if len(seen) >= after_lines:
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    proc.stdout.close()
    return seen


@pytest.mark.slow
@pytest.mark.parametrize(("workers", "after_lines"), [(1, 1), (1, 7), (2, 3), (2, 15)])
def test_a_killed_campaign_loses_nothing_and_resumes(
    tmp_path: Path, workers: int, after_lines: int
) -> None:
    path = write_experiment(tmp_path, reps=10, days=7)
    reference = api.experiment(path, tmp_path / "reference", workers=1)
    out = tmp_path / "killed"
    finished = _killed_campaign(path, out, workers, after_lines)
    assert len(finished) == after_lines
    partial = stored_kpis(out / "results.duckdb")
    # Everything reported as finished before the kill is in the store.
    assert set(finished) <= set(partial["run_id"])
    assert partial.groupby("run_id").size().eq(25).all()  # no half-written replication
    resumed = api.experiment(path, out, workers=workers, resume=True)
    assert resumed.summary.already_stored == partial["run_id"].nunique()
    final = stored_kpis(out / "results.duckdb")
    expected = stored_kpis(tmp_path / "reference" / "results.duckdb")
    pd.testing.assert_frame_equal(final, expected)
    assert reference.summary.stored == 20


@pytest.mark.slow
def test_a_killed_campaign_at_arbitrary_moments_resumes(tmp_path: Path) -> None:
    path = write_experiment(tmp_path, reps=10, days=7)
    api.experiment(path, tmp_path / "reference", workers=1)
    expected = stored_kpis(tmp_path / "reference" / "results.duckdb")
    out = tmp_path / "killed"
    for delay in (0.2, 1.0, 2.5, 4.0):
        proc = subprocess.Popen(
            [sys.executable, "-c", CAMPAIGN_SCRIPT, str(path), str(out), "2"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        if (out / "results.duckdb").exists():
            partial = stored_kpis(out / "results.duckdb")
            assert partial.groupby("run_id").size().eq(25).all()
    api.experiment(path, out, workers=2, resume=True)
    pd.testing.assert_frame_equal(stored_kpis(out / "results.duckdb"), expected)


@pytest.mark.slow
def test_a_dask_worker_dying_mid_campaign_does_not_stop_it(tmp_path: Path) -> None:
    from distributed import LocalCluster

    from experiments.campaign import run_campaign

    path = write_experiment(tmp_path, reps=30, days=14)
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    )
    # One client per process: the executor's own (a second client in the same process
    # can trip over Dask's event loops).
    executor = DaskCluster(cluster.scheduler_address)
    pids = sorted(executor.client.run(os.getpid).values())
    killed: list[int] = []

    def kill_one(record: object) -> None:
        if not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    try:
        with executor, ResultStore(tmp_path / "results.duckdb") as store:
            summary = run_campaign(load_experiment(path), store, executor, on_stored=kill_one)
            assert store.count() == 60
    finally:
        cluster.close()
    assert killed
    assert summary.stored == 60
    assert stored_kpis(tmp_path / "results.duckdb")["run_id"].nunique() == 60


BAD = [
    ("policies: {p: missing.yaml}", "policies.p", "cannot read file"),
    (
        "factors: [{path: lockers.max_retries, low: 5, high: 2}]",
        "factors.0",
        "range reversed",
    ),
    (
        "replications: {until: {lockers.nonsense: 0.1}}",
        "replications.until.lockers.nonsense",
        "unknown KPI",
    ),
    (
        "factors: [{path: pickup.delay_hours.mean, low: 0.5, high: 2}]\ndesign: {kind: sobol}",
        "design",
        "sobol needs 'samples'",
    ),
    (
        "factors: [{path: pickup.delay_hours.mean, low: 0.5, high: 2}]\ndesign: {kind: morris}",
        "design",
        "morris needs 'trajectories'",
    ),
    (
        "factors: [{path: pickup.delay_hours.mean, low: 0.5, high: 2}]",
        "design",
        "full_factorial needs 'levels'",
    ),
    ("factors: [{path: lockers.nope, levels: [1, 2]}]", "factors.0", "unknown field"),
    ("colour: red", "colour", "unknown field"),
]


@pytest.mark.parametrize(("extra", "where", "message"), BAD)
def test_bad_experiment_files_get_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, where: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    text = "name: bad\nscenarios: [erlang-loss-locker]\ndays: 1\n" + extra + "\n"
    path.write_text(text)
    out = tmp_path / "out"
    assert main(["experiment", str(path), "--workers", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"twin: error: {path}: {where}")
    assert message in err
    assert not out.exists()


def test_replicating_until_the_target_precision(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\nscenarios: [erlang-loss-locker]\ndays: 1\nseed: 5\n"
        "replications: {until: {lockers.overflow_rate: 0.02}, min: 3, max: 40}\n"
    )
    outcome = api.experiment(path, tmp_path / "out", workers=1)
    summary = summarize(outcome.kpis)
    rate = summary[summary["kpi"] == "lockers.overflow_rate"].iloc[0]
    assert rate["half_width"] <= 0.02
    assert 3 < rate["reps"] < 40  # it had to add replications, and stopped when precise


def test_mser5_warmup_is_chosen_and_applied(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(
        "name: w\nscenarios: [default]\ndays: 6\nreplications: 2\n"
        "warmup: {method: mser5, series: lockers.occupancy}\n"
    )
    outcome = api.experiment(path, tmp_path / "out", workers=1)
    # The compound starts with empty lockers: a warm-up is found, shorter than half the run.
    assert 0 < outcome.summary.warmup_days < 3
    with ResultStore(tmp_path / "out" / "results.duckdb") as store:
        runs = store.runs()
        assert store.get_meta("warmup_method") == "mser5"
    assert np.allclose(runs["warmup_seconds"], outcome.summary.warmup_days * 86400)
    assert np.allclose(runs["horizon_seconds"], (6 + outcome.summary.warmup_days) * 86400)


def test_common_random_numbers_reduce_the_variance_of_differences(tmp_path: Path) -> None:
    import scenarios
    import twin

    base = scenarios.build_model(scenarios.load("default", sets=["days=7"]))
    retry = scenarios.build_model(
        scenarios.load("default", sets=["days=7", "lockers.overflow=retry"])
    )
    kpi = "lockers.overflow_rate"
    reps = 12
    a = np.array([twin.simulate(base, seed=s).kpis[kpi] for s in range(reps)])
    paired = np.array([twin.simulate(retry, seed=s).kpis[kpi] for s in range(reps)])
    independent = np.array([twin.simulate(retry, seed=1000 + s).kpis[kpi] for s in range(reps)])
    var_crn = np.var(paired - a, ddof=1)
    var_independent = np.var(independent - a, ddof=1)
    ratio = var_crn / var_independent
    print(f"CRN variance ratio of the overflow-rate difference: {ratio:.3f}")
    # One-sided F test: the paired variance is smaller, beyond chance.
    assert stats.f.cdf(ratio, reps - 1, reps - 1) < 0.01


@pytest.mark.parametrize(
    ("method", "index", "size"),
    [("sobol", "ST", "samples: 16"), ("morris", "mu_star", "trajectories: 6")],
)
def test_sensitivity_finds_the_parameter_that_matters(
    tmp_path: Path, method: str, index: str, size: str
) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(
        textwrap.dedent(
            """\
            factors:
              - {path: pickup.delay_hours.mean, low: 0.5, high: 1.5}
              - {path: parcels.deposit_seconds.value, low: 0, high: 20}
            """
        )
        + size
        + "\n"
    )
    out = tmp_path / "out"
    argv = ["sensitivity", "erlang-loss-locker", "--params", str(params), "--kpi"]
    argv += ["lockers.overflow_rate", "--days", "3", "--workers", "1", "--out", str(out)]
    assert main([*argv, "--method", method, "--quiet"]) == 0
    indices = pd.read_csv(out / "sensitivity.csv").set_index("parameter")
    # Deposit time does not change when compartments free up: no effect at all (CRN).
    assert indices.loc["parcels.deposit_seconds.value", index] == 0
    assert indices.loc["pickup.delay_hours.mean", index] > (0.5 if method == "sobol" else 0.01)
    assert "sensitivity" in (out / "report.html").read_text().lower()


def test_report_command_rewrites_the_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.experiment(write_experiment(tmp_path, reps=3), out, workers=1)
    again = tmp_path / "again"
    assert main(["report", str(out / "results.duckdb"), "--out", str(again)]) == 0
    assert (again / "comparison.csv").read_bytes() == (out / "comparison.csv").read_bytes()
    assert main(["report", str(tmp_path / "nothing.duckdb"), "--out", str(again)]) == 2


def test_series_can_be_left_out_of_the_store(tmp_path: Path) -> None:
    path = write_experiment(tmp_path, reps=2)
    path.write_text(path.read_text() + "keep_series: false\n")
    api.experiment(path, tmp_path / "out", workers=1)
    with ResultStore(tmp_path / "out" / "results.duckdb") as store:
        assert store.count() == 4
        assert store.series().empty
        assert len(store.kpis()) == 4 * 25


@pytest.mark.slow
def test_a_local_worker_dying_mid_campaign_does_not_stop_it(tmp_path: Path) -> None:
    from experiments.campaign import run_campaign

    path = write_experiment(tmp_path, reps=30, days=14)
    executor = LocalProcesses(2)
    killed: list[int] = []

    def kill_one(record: object) -> None:
        pool = executor._pool
        if not killed and pool is not None:
            pid = sorted(pool._processes)[0]  # a live worker of the current pool
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with executor, ResultStore(tmp_path / "results.duckdb") as store:
        summary = run_campaign(load_experiment(path), store, executor, on_stored=kill_one)
        assert store.count() == 60
    assert killed and executor.restarts >= 1
    assert summary.stored == 60
    expected = api.experiment(path, tmp_path / "reference", workers=1)
    pd.testing.assert_frame_equal(
        stored_kpis(tmp_path / "results.duckdb"),
        stored_kpis(tmp_path / "reference" / "results.duckdb"),
    )
    assert expected.summary.stored == 60
