"""Executors: how batches of tasks are run. One interface, three ways.

An executor is a context manager with ``run(fn, batches)``, which yields
``(index, result)`` as batches finish, in any order. Results never depend on the
executor: every task carries its own seed.

* ``InProcess`` runs batches one after another in this process.
* ``LocalProcesses(workers)`` uses a process pool whose start method is passed
  explicitly (no global start method is set). The first pool is forked where the
  platform allows it, on entering the context and so before the result store opens
  (no threads to copy): workers inherit the imported modules and start in milliseconds,
  where "spawn" costs each worker about two seconds of imports. If a worker dies, the
  pool is rebuilt with "spawn", which is safe whatever threads exist by then, and the
  unfinished batches are submitted again.
* ``DaskCluster(address, workers)`` uses Dask distributed: ``"local"`` starts a
  LocalCluster, anything else is a scheduler address. Dask itself reschedules the
  tasks of a worker that dies.
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Protocol, TypeVar

__all__ = ["DaskCluster", "Executor", "InProcess", "LocalProcesses", "make_executor"]

B = TypeVar("B")
R = TypeVar("R")
MAX_POOL_RESTARTS = 5


class Executor(Protocol):
    workers: int

    def __enter__(self) -> Executor: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def run(
        self, fn: Callable[[Any], Any], batches: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]: ...


class _Context:
    def __enter__(self) -> Any:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        pass


class InProcess(_Context):
    workers = 1

    def run(self, fn: Callable[[Any], Any], batches: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for index, batch in enumerate(batches):
            yield index, fn(batch)


class LocalProcesses(_Context):
    def __init__(self, workers: int, preload: str = "experiments.tasks") -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.preload = preload
        self._pool: ProcessPoolExecutor | None = None
        self.restarts = 0

    def __enter__(self) -> LocalProcesses:
        # Start the workers now, before any thread or file handle of the campaign exists.
        fork = "fork" in multiprocessing.get_all_start_methods()
        self._pool = self._new_pool("fork" if fork else "spawn")
        return self

    def _new_pool(self, method: str = "spawn") -> ProcessPoolExecutor:
        context = multiprocessing.get_context(method)
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        for _ in range(self.workers):
            pool.submit(importlib.import_module, self.preload)
        return pool

    def run(self, fn: Callable[[Any], Any], batches: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        pending = set(range(len(batches)))
        while pending:
            if self._pool is None:
                self._pool = self._new_pool()
            try:
                # Submitting to a pool whose worker died since the last call also raises.
                futures: dict[Future[Any], int] = {
                    self._pool.submit(fn, batches[i]): i for i in sorted(pending)
                }
                while futures:
                    done, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for future in done:
                        index = futures.pop(future)
                        result = future.result()
                        pending.discard(index)
                        yield index, result
            except BrokenProcessPool:
                # A worker died (killed, out of memory): rebuild and rerun what is left.
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
                self.restarts += 1
                if self.restarts > MAX_POOL_RESTARTS:
                    raise RuntimeError("worker processes keep dying; giving up") from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskCluster(_Context):
    def __init__(self, address: str, workers: int = 2) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        if address == "local":
            self._cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            )
            self.client = Client(self._cluster)
        else:
            self.client = Client(address, timeout="30s")
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)

    def run(self, fn: Callable[[Any], Any], batches: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        futures = {
            self.client.submit(fn, batch, pure=False, retries=3): index
            for index, batch in enumerate(batches)
        }
        for future in as_completed(futures):
            yield futures[future], future.result()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int = 1, cluster: str | None = None) -> Executor:
    if cluster is not None:
        return DaskCluster(cluster, workers=max(workers, 1))
    if workers <= 1:
        return InProcess()
    return LocalProcesses(workers)
