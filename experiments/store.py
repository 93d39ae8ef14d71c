"""The result store: an embedded DuckDB file, one transaction per finished replication.

A replication's run row, KPIs and series are committed together or not at all, and
``run_id`` is the primary key, so a campaign killed at any moment keeps everything that
had finished and never stores a replication twice. Only the coordinating process writes
(DuckDB allows one writer); workers return records. All values are bound as query
parameters or registered frames, never formatted into SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pandas as pd

from experiments.records import RunRecord

__all__ = ["ResultStore"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, campaign VARCHAR, scenario VARCHAR, policy VARCHAR,
        point INTEGER, replication INTEGER, seed BIGINT, factors VARCHAR,
        scenario_hash VARCHAR, horizon_seconds DOUBLE, warmup_seconds DOUBLE,
        wall_seconds DOUBLE, versions VARCHAR, code_version VARCHAR, provenance VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS kpis (run_id VARCHAR, kpi VARCHAR, value DOUBLE)",
    """CREATE TABLE IF NOT EXISTS series (
        run_id VARCHAR, time TIMESTAMP, series VARCHAR, value DOUBLE)""",
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
)


class ResultStore:
    """Open (or create) a store file; use as a context manager."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path))
        for statement in _SCHEMA:
            self._con.execute(statement)

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    # -- writing --------------------------------------------------------------------------
    def add(self, record: RunRecord) -> bool:
        """Store one replication atomically; False (and nothing written) if already there."""
        con = self._con
        prov = dict(record.provenance)
        con.execute("BEGIN TRANSACTION")
        try:
            try:
                con.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        record.run_id,
                        record.campaign,
                        record.scenario,
                        record.policy,
                        record.point,
                        record.replication,
                        record.seed,
                        json.dumps(dict(record.factors), sort_keys=True),
                        prov.get("scenario_hash"),
                        prov.get("horizon_seconds"),
                        prov.get("warmup_seconds"),
                        prov.get("wall_seconds"),
                        json.dumps(prov.get("versions", {}), sort_keys=True),
                        prov.get("code_version"),
                        json.dumps(prov, sort_keys=True, default=str),
                    ],
                )
            except duckdb.ConstraintException:
                # The primary key says this replication is stored already.
                con.execute("ROLLBACK")
                return False
            if record.kpis:
                # One multi-row insert: the statement holds only placeholders, values are
                # bound as parameters (cheaper than registering a frame per replication).
                rows = ", ".join(["(?, ?, ?)"] * len(record.kpis))
                values = [x for k, v in record.kpis.items() for x in (record.run_id, k, float(v))]
                con.execute(f"INSERT INTO kpis VALUES {rows}", values)
            if len(record.series):
                series = record.series[["time", "series", "value"]].assign(run_id=record.run_id)
                con.register("new_series", series)
                con.execute("INSERT INTO series SELECT run_id, time, series, value FROM new_series")
                con.unregister("new_series")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return True

    def set_meta(self, key: str, value: Any) -> None:
        text = json.dumps(value, sort_keys=True, default=str)
        self._con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, text])

    # -- reading --------------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else default

    def run_ids(self) -> set[str]:
        return {row[0] for row in self._con.execute("SELECT run_id FROM runs").fetchall()}

    def count(self) -> int:
        row = self._con.execute("SELECT count(*) FROM runs").fetchone()
        return int(row[0]) if row else 0

    def runs(self) -> pd.DataFrame:
        return self._con.execute("SELECT * FROM runs ORDER BY run_id").df()

    def kpis(self) -> pd.DataFrame:
        """Long frame: scenario, policy, point, replication, seed, run_id, kpi, value."""
        return self._con.execute(
            """SELECT r.scenario, r.policy, r.point, r.replication, r.seed, r.run_id,
                      k.kpi, k.value
               FROM kpis k JOIN runs r USING (run_id)
               ORDER BY r.scenario, r.policy, r.point, r.replication, k.kpi"""
        ).df()

    def series(self, run_ids: Iterable[str] | None = None) -> pd.DataFrame:
        if run_ids is None:
            return self._con.execute("SELECT * FROM series ORDER BY run_id, series, time").df()
        wanted = pd.DataFrame({"run_id": sorted(set(run_ids))})
        self._con.register("wanted", wanted)
        try:
            return self._con.execute(
                "SELECT s.* FROM series s JOIN wanted USING (run_id) ORDER BY run_id, series, time"
            ).df()
        finally:
            self._con.unregister("wanted")

    def export(self, folder: Path, formats: Iterable[str] = ("parquet", "csv")) -> list[Path]:
        """Write runs, kpis and series tables as Parquet and/or CSV files."""
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for table, frame in (
            ("runs", self.runs()),
            ("kpis", self.kpis()),
            ("series", self.series()),
        ):
            for fmt in formats:
                path = folder / f"{table}.{fmt}"
                if fmt == "parquet":
                    frame.to_parquet(path, index=False)
                elif fmt == "csv":
                    frame.to_csv(path, index=False)
                else:
                    raise ValueError(f"unknown export format {fmt!r}")
                written.append(path)
        return written
