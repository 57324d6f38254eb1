"""What `ptprove prove` shows while it works.

The engines report through one callback, `progress(done, total, label)`,
called as items finish in every phase; the label's leading words name the
phase ("step", "search", "p2m split", ...) and the rest the item
("riscv-pt-v5 wx map").  `Progress` turns those calls into

* in a terminal: a live rich bar over all systems and one per phase of the
  system running (done of
  total, elapsed, an estimate of the time left, the item finished last: the
  callback names items as they finish), above it one line per finished phase
  and system;
* elsewhere (CI, `| tee`): plain lines a log can be read by, one per finished
  phase and one per finished system with its verdict counts and time, and a
  line whenever `HEARTBEAT` seconds passed without one (from a ticker thread:
  the engines may go minutes between two callbacks), so the log shows the run
  advancing.

By default the bar goes to stderr when that is a terminal (so `ptprove prove
> report.txt` still shows it), and the log lines to stdout otherwise, before
the report: stderr carries nothing but the one line of an error.
"""
from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Optional, TextIO

from proofs.engine.result import VERDICTS

HEARTBEAT = 60.0  # seconds between two lines of the same phase in a log

Callback = Callable[[int, int, str], None]


def split_label(label: str, versions: Iterable[str]) -> tuple[str, str]:
    """(phase, item): the words before the first version name, and the rest.
    A label naming no version is a phase of its own first word."""
    words = label.split()
    known = set(versions)
    for n, word in enumerate(words):
        if word in known or word.split("@")[0] in known:  # `<version>@any`: a caller contract's
            return " ".join(words[:n]) or "run", " ".join(words[n:])
    return (words[0] if words else "run"), " ".join(words[1:])


def verdict_counts(verdicts: Iterable[str]) -> str:
    """"12 proved, 2 violated" in the order of proofs.engine.result.VERDICTS."""
    counts = Counter(verdicts)
    known = [f"{counts[v]} {v}" for v in VERDICTS if counts[v]]
    other = [f"{n} {v}" for v, n in counts.items() if v not in VERDICTS]
    return ", ".join(known + other) or "no results"


@dataclass
class _Phase:
    name: str
    started: float
    done: int = 0
    total: int = 0
    item: str = ""
    task: Optional[int] = None  # the rich task id, in a terminal


class Progress:
    """Progress of one run over its systems; `callback` is what the engines call."""

    def __init__(self, stream: Optional[TextIO] = None, tty: Optional[bool] = None,
                 versions: Iterable[str] = (), clock: Callable[[], float] = time.monotonic,
                 systems: int = 0, ticker: bool = True):
        if stream is None:
            stream = sys.stderr if sys.stderr.isatty() else sys.stdout
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.versions = list(versions)
        self.clock = clock
        self.t0 = clock()
        self.system: Optional[str] = None
        self.phase: Optional[_Phase] = None
        self.mark = self.t0  # when the phase running began: its system's start or the last phase's end
        self.last_line = self.t0
        self.ended: set[str] = set()  # phases of the system running already reported complete
        self.latest = ""  # the system's last callback: "<phase> <item>"
        self.systems, self.systems_started = systems, 0  # how many the run has, how many began
        self.bar = None
        self.overall: Optional[int] = None  # the rich task over all systems
        self.lock = threading.Lock()  # the ticker thread prints too
        self.ticking: Optional[threading.Event] = threading.Event() if ticker and not self.tty else None

    # -- the run --------------------------------------------------------------
    def __enter__(self) -> "Progress":
        if self.tty:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, SpinnerColumn,
                                       TextColumn, TimeElapsedColumn, TimeRemainingColumn)

            console = Console(file=self.stream, force_terminal=True, highlight=False)
            self.bar = Bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                           MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("left"),
                           TimeRemainingColumn(), TextColumn("{task.fields[item]}"),
                           console=console, transient=True)
            self.bar.__enter__()
            if self.systems:
                self.overall = self.bar.add_task("all systems", total=self.systems, item="")
        if self.ticking is not None:
            threading.Thread(target=self._tick, name="ptprove-progress", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if self.ticking is not None:
            self.ticking.set()
        if self.bar is not None:
            self.bar.__exit__(*exc)
            self.bar = None

    def line(self, text: str) -> None:
        """One line above the bar (terminal) or in the log."""
        with self.lock:
            stamp = f"[{self.clock() - self.t0:7.1f}s] "
            if self.bar is not None:
                self.bar.console.print(stamp + text, markup=False, highlight=False)
            else:
                print(stamp + text, file=self.stream, flush=True)
            self.last_line = self.clock()

    def _tick(self) -> None:
        """A log line whenever HEARTBEAT seconds passed without one."""
        while not self.ticking.wait(HEARTBEAT / 4):
            if self.clock() - self.last_line >= HEARTBEAT:
                self.line(self.heartbeat())

    def heartbeat(self) -> str:
        """Where the run is, for a log that has said nothing for a while."""
        ph, system = self.phase, self.system or "ptprove"
        if ph is not None:
            latest = f" (latest: {ph.item})" if ph.item else ""
            return f"{system} {ph.name}: {ph.done} of {ph.total} done so far{latest}"
        return f"{system}: running" + (f" (latest: {self.latest})" if self.latest else "")

    # -- a system -------------------------------------------------------------
    @contextmanager
    def running(self, system: str, what: str) -> Iterator[list]:
        """Around one system's run; the caller appends its results to the list
        yielded, and the closing line counts their verdicts."""
        self.system, self.ended, self.latest = system, set(), ""
        started = self.mark = self.clock()
        self.systems_started += 1
        results: list = []
        where = f"; system {self.systems_started} of {self.systems}" if self.systems else ""
        if not self.tty:
            self.line(f"{system}: started ({what}{where})")
        if self.overall is not None:
            self.bar.update(self.overall, item=f"running {system}")
        ended = "stopped"
        try:
            yield results
            ended = "done"
        finally:
            self._end_phase(ended)
            if ended == "stopped":
                self.line(f"{system}: interrupted after {self.clock() - started:.1f} s")
            elif results or not self.tty:
                self.line(f"{system}: {len(results)} results: "
                          f"{verdict_counts(r.verdict for r in results)} "
                          f"in {self.clock() - started:.1f} s")
            if self.overall is not None:
                self.bar.advance(self.overall)
            self.system = None

    def callback(self, done: int, total: int, label: str) -> None:
        """The engines' `progress(done, total, label)`."""
        name, item = split_label(label, self.versions)
        if self.system and (name == self.system or name.startswith(f"{self.system} ")):
            name = name[len(self.system):].strip() or "obligations"  # "p2m step": the p2m's step phase
        self.latest = f"{name} {item}".strip()
        if self.phase is None and name in self.ended and total and done >= total:
            return  # a phase already reported complete, called again
        if self.phase is None or self.phase.name != name:
            self._end_phase()
            self.phase = _Phase(name, self.mark)
            if self.bar is not None:
                self.phase.task = self.bar.add_task(f"{self.system} {name}", total=total or None, item="")
        ph = self.phase
        ph.done, ph.total, ph.item = done, total, item
        if self.bar is not None:
            self.bar.update(ph.task, completed=done, total=total or None, item=f"last done: {item}")
        elif self.clock() - self.last_line >= HEARTBEAT and done < total:
            self.line(self.heartbeat())
        if total and done >= total:  # the phase is complete: say so now, not at the next one
            self._end_phase()
            self.ended.add(name)

    def _end_phase(self, ended: str = "done") -> None:
        ph, self.phase = self.phase, None
        if ph is None:
            return
        if self.bar is not None:
            self.bar.remove_task(ph.task)
        self.mark = self.clock()
        took = self.mark - ph.started
        self.line(f"{self.system} {ph.name}: {ph.done} of {ph.total} {ended} in {took:.1f} s")
