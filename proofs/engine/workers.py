"""Where obligations run: one process pool sized to the machine, or this process.

One `Pool` serves every system of a run, so a system's phase that leaves a core
idle (its last long query, its searches) is filled by the next system's queries,
submitted ahead.  Jobs wait in the pool's own queue, highest priority first
(searches, then by system), then longest first (the `costs` given with them: the previous
run's seconds, `proofs/engine/estimates.py`), then in submission order; at most one per
worker is handed to the processes, so a search submitted late still starts at the next free
core.
"""
from __future__ import annotations

import heapq
import itertools
import os
import shutil
import tempfile
import threading
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Callable, Iterator, Optional

#: job kinds: a search is the longest job and the last of its system, so it goes first
SEARCH, STEP, QUERY = 2, 1, 1


def priority(kind: int, rank: int) -> int:
    """Higher first: searches, then the earlier system's jobs (the report shows systems in order)."""
    return kind * 1000 - rank


def _worker_start(scratch: str) -> None:
    """A worker ignores Ctrl-C (the CLI terminates the workers) and keeps its temporary
    files (compiled C harnesses, extracted seeds) under the pool's directory: a worker
    ends without running `atexit`, so the pool removes them when it closes."""
    from proofs.interrupt import ignore_interrupts

    ignore_interrupts()
    tempfile.tempdir = scratch
    os.environ["TMPDIR"] = scratch


class Batch:
    """Jobs submitted together; `completed()` yields each (job, answer) pair's
    `fn(job)` as it is ready (in this process: computed then, in order)."""

    def __init__(self, fn: Callable, jobs: list, futures: list | None, in_order: Callable = as_completed):
        self.fn, self.jobs, self.futures, self.in_order = fn, jobs, futures, in_order

    def completed(self) -> Iterator:
        if self.futures is None:
            yield from map(self.fn, self.jobs)
            return
        for f in self.in_order(self.futures):
            yield f.result()


class Pool:
    """`jobs` worker processes fed from a priority queue, or this process when `jobs` is 1."""

    def __init__(self, jobs: int):
        self.workers = jobs
        self.executor = None
        self.queue: list = []
        self.order = itertools.count()
        self.running = 0
        self.lock = threading.Lock()
        self.scratch = ""

    def __enter__(self) -> "Pool":
        if self.workers > 1:
            self.scratch = tempfile.mkdtemp(prefix="ptprove-workers-")
            self.executor = ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_start,
                                                initargs=(self.scratch,))
        return self

    def __exit__(self, *exc) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=exc[0] is None, cancel_futures=True)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def submit(self, fn: Callable, jobs: list, priority: int = QUERY,
               costs: Optional[list[float]] = None) -> Batch:
        """`jobs` queued at `priority`, each with its expected seconds (`costs`: longest first)."""
        if self.executor is None:
            return Batch(fn, list(jobs), None)
        futures = []
        with self.lock:
            for job, cost in zip(jobs, costs or [0.0] * len(jobs)):
                outer: Future = Future()
                heapq.heappush(self.queue, (-priority, -cost, next(self.order), fn, job, outer))
                futures.append(outer)
        self._feed()
        return Batch(fn, list(jobs), futures)

    def _feed(self) -> None:
        while True:
            with self.lock:
                if self.running >= self.workers or not self.queue:
                    return
                *_, fn, job, outer = heapq.heappop(self.queue)
                self.running += 1
            inner = self.executor.submit(fn, job)
            inner.add_done_callback(lambda f, outer=outer: self._done(f, outer))

    def _done(self, inner: Future, outer: Future) -> None:
        with self.lock:
            self.running -= 1
        if inner.cancelled():
            outer.cancel()
        elif inner.exception() is not None:
            outer.set_exception(inner.exception())
        else:
            outer.set_result(inner.result())
        try:
            self._feed()
        except RuntimeError:  # the executor is shutting down (an error or Ctrl-C elsewhere)
            pass


class DaskPool:
    """The same interface on a `dask.distributed` cluster (`--scheduler`): the
    scheduler at `address`, or a `LocalCluster` of `workers` single-threaded
    processes (pysmt's formula manager is per process and not thread-safe).
    Priorities are dask's own; a remote cluster's workers need ptprove installed."""

    CONNECT_SECONDS = 5  # how long an unreachable scheduler is waited for

    def __init__(self, address: str | None, workers: int):
        self.address, self.workers = address, workers
        self.client = self.cluster = None

    def __enter__(self) -> "DaskPool":
        from proofs.errors import UsageError

        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise UsageError("--scheduler needs dask.distributed (pip install -e '.[dist]')") from None
        try:
            if self.address:
                self.client = Client(self.address, timeout=self.CONNECT_SECONDS)
            else:
                import logging

                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as e:
            raise UsageError(f"--scheduler {self.address}: cannot reach the scheduler ({e})") from None
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def submit(self, fn: Callable, jobs: list, priority: int = QUERY,
               costs: Optional[list[float]] = None) -> Batch:
        """(dask orders by `priority` alone: `costs` are not given to it.)"""
        from distributed import as_completed as dask_completed

        futures = [self.client.submit(fn, job, priority=priority, pure=False) for job in jobs]
        return Batch(fn, list(jobs), futures, dask_completed)


def pool_for(settings) -> "Pool | DaskPool":
    """The pool a run's settings ask for: `--scheduler` (dask), else local processes."""
    if settings.scheduler is not None:
        return DaskPool(None if settings.scheduler == "local" else settings.scheduler,
                        job_count(settings.jobs))
    return Pool(job_count(settings.jobs))


def job_count(jobs: int) -> int:
    """`--jobs`, or one worker per core when it is 0 (unset)."""
    return jobs or os.cpu_count() or 1
