"""Ctrl-C (or SIGTERM, a cancelled CI job): stop within a second, workers
included, and say so in one line.

The proof engines decide obligations in `concurrent.futures` worker
processes.  Python's own SIGINT handling would raise KeyboardInterrupt in the
main process only, and leaving the executor then waits for every running
solver query (30-50 s).  Instead each command runs under `handled()`:

* in the main process, SIGINT terminates every worker process at once and
  raises KeyboardInterrupt; the command turns that into one line (keeping what
  finished, e.g. `prove --json` writes the results so far) and exit status
  `EXIT_INTERRUPTED`.  Workers ignore SIGINT (`ignore_interrupts`, their
  initializer): the main process ends them.
* the command `acknowledge()`s the interrupt when it handles it, then saves
  what finished under `exclusive()`.  If it has not acknowledged within
  `GRACE` seconds, the main thread is stuck: in the solver's C code (a query
  running in this process, `--jobs 1`), where no Python handler runs (z3's own
  Ctrl-C handling, which would quietly cancel the query and let the run go on,
  is switched off), or waiting on a pool whose KeyboardInterrupt Python lost
  (raised in an at-fork callback while the pool started a worker).  A watcher
  thread, woken through the signal wakeup fd, then (under `exclusive()`, so
  the two never write the same report at once) stops the workers, runs the
  `on_abort` hooks (which save what finished), prints the one line and ends
  the process with `EXIT_INTERRUPTED`.
* SIGTERM is handled as SIGINT (`what()` names the one received), so a CI
  job cancelled before its timeout still writes the report of what finished.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from proofs.errors import EXIT_INTERRUPTED

GRACE = 0.5  # seconds the main thread has to act on Ctrl-C before the watcher does

_main_pid = os.getpid()
SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}
_requested = threading.Event()  # a SIGINT or SIGTERM reached the main process's handler
_received: list[str] = []  # its name
_acknowledged = threading.Event()  # the command is handling it
_hooks: list[Callable[[], str]] = []
_exclusive = threading.Lock()  # saving what finished: the command or the watcher, not both


def requested() -> bool:
    """Whether Ctrl-C was pressed (an error now is its consequence, e.g. a broken pool)."""
    return _requested.is_set()


def what() -> str:
    """The signal that stopped the run, as the one line names it."""
    return _received[0] if _received else "Ctrl-C"


def acknowledge() -> None:
    """The command handles the interrupt itself: the watcher leaves it alone."""
    _acknowledged.set()


def exclusive() -> threading.Lock:
    """Held while what finished is saved (by the command, or by the watcher until it exits)."""
    return _exclusive


def stop_workers() -> int:
    """Terminate every worker process this process started; how many."""
    children = multiprocessing.active_children()
    for p in children:
        p.terminate()
    for p in children:
        p.join(timeout=1)
    return len(children)


def ignore_interrupts() -> None:
    """A worker's initializer: Ctrl-C reaches the whole process group, but only
    the main process acts on it (it terminates the workers).  A worker also
    dies with the main process (Linux): one forked while Ctrl-C was being
    handled must not outlive it, computing on and holding its output open."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker inherited the main process's handler
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent:  # the main process is already gone
        os._exit(EXIT_INTERRUPTED)


@contextmanager
def on_abort(hook: Callable[[], str]) -> Iterator[None]:
    """While the block runs, `hook()` saves what finished if the watcher has to
    end the process; it returns what it did, for the one line."""
    _hooks.append(hook)
    try:
        yield
    finally:
        _hooks.remove(hook)


def _on_signal(signum: int, frame: Any) -> None:
    if os.getpid() != _main_pid:  # a forked worker before its initializer
        if signum == signal.SIGTERM:  # the main process ending it: end
            os._exit(128 + signum)
        return  # Ctrl-C: the main process ends it
    _received.append(SIGNALS.get(signum, str(signum)))
    _requested.set()
    stop_workers()
    raise KeyboardInterrupt


def _abort() -> None:
    """The watcher's way out when the main thread did not acknowledge in time."""
    with _exclusive:
        if _acknowledged.is_set():  # the command got there meanwhile: it finishes
            return
        stop_workers()
        done = []
        for hook in list(_hooks):
            try:
                done.append(hook())
            except Exception as e:  # noqa: BLE001 - the line below must still be printed
                done.append(f"could not save: {e}")
        detail = f", after {'; '.join(done)}" if done else ""
        print(f"ptprove: interrupted ({what()}), workers stopped{detail}", file=sys.stderr, flush=True)
        sys.stdout.flush()
        stop_workers()  # any started meanwhile
        os._exit(EXIT_INTERRUPTED)


def _watch(fd: int, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data or stop.is_set():
            return
        got = [name for sig, name in SIGNALS.items() if sig in data]
        if got and not _acknowledged.wait(GRACE) and not stop.is_set():
            if not _received:  # the main thread never ran its handler: name the signal from the fd
                _received.extend(got)
            _abort()


def _quiet_interrupts(hook: Callable[[Any], None]) -> Callable[[Any], None]:
    """`sys.unraisablehook` without the traceback of a KeyboardInterrupt Python
    could not raise (the watcher ends the process in one line instead)."""
    def quiet(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            hook(unraisable)
    return quiet


def _quiet_after_interrupt(hook: Callable[[Any], None]) -> Callable[[Any], None]:
    """`threading.excepthook` without the tracebacks of threads that Ctrl-C broke
    (the executor's manager thread racing the cancelled futures, say)."""
    def quiet(args: Any) -> None:
        if not _requested.is_set():
            hook(args)
    return quiet


def _solver_leaves_ctrl_c_to_us() -> None:
    try:
        import z3
        z3.set_param("ctrl_c", False)
    except Exception:  # noqa: BLE001 - no z3: nothing to switch off
        pass


@contextmanager
def handled() -> Iterator[None]:
    """SIGINT and SIGTERM handled as above while the block runs (from the main thread only;
    elsewhere Python's handling stays), the previous handling restored after."""
    global _main_pid
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _main_pid = os.getpid()
    _requested.clear()
    _acknowledged.clear()
    _received.clear()
    _solver_leaves_ctrl_c_to_us()
    r, w = os.pipe()
    os.set_blocking(w, False)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, _on_signal) for sig in SIGNALS}
    previous_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(r, stop), name="ptprove-interrupt", daemon=True)
    watcher.start()
    unraisable, thread_hook = sys.unraisablehook, threading.excepthook
    sys.unraisablehook = _quiet_interrupts(unraisable)
    threading.excepthook = _quiet_after_interrupt(thread_hook)
    try:
        yield
    finally:
        sys.unraisablehook, threading.excepthook = unraisable, thread_hook
        signal.set_wakeup_fd(previous_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop.set()
        os.write(w, b"\0")  # wakes the watcher, which sees `stop`
        os.close(w)
        watcher.join(timeout=1)
        os.close(r)
