"""Where obligations run: a process pool sized to the machine, or this process."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor


class InProcess:
    """The executor interface, run in this process (`--jobs 1`: debuggable, patchable)."""

    def __enter__(self) -> "InProcess":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map(self, fn, *iterables):
        return map(fn, *iterables)


def executor(jobs: int):
    """`jobs` worker processes, or this process when `jobs` is 1."""
    from proofs.interrupt import ignore_interrupts  # Ctrl-C: the CLI terminates the workers

    return ProcessPoolExecutor(max_workers=jobs, initializer=ignore_interrupts) if jobs > 1 else InProcess()


def unordered(pool, fn, jobs: list):
    """`fn` over `jobs`, each result as soon as it is ready (so progress tells the truth);
    in this process, in order."""
    if isinstance(pool, InProcess):
        yield from map(fn, jobs)
        return
    from concurrent.futures import as_completed

    for f in as_completed([pool.submit(fn, j) for j in jobs]):
        yield f.result()


def job_count(jobs: int) -> int:
    """`--jobs`, or one worker per core when it is 0 (unset)."""
    return jobs or os.cpu_count() or 1
