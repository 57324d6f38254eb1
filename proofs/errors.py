"""Errors that end a command with one line on stderr and a documented exit status."""
from __future__ import annotations

EXIT_OK = 0
EXIT_MISMATCH = 1  # a verdict differs from the expectations / a vector does not reproduce
EXIT_USAGE = 2  # bad arguments or bad input
EXIT_SOLVER = 3  # solver missing, timed out or answered unknown
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT), as a shell reports a process killed by it


class PtproveError(Exception):
    """An error reported as one line, "ptprove: <prefix><message>"; `status` is the exit status."""

    status = EXIT_USAGE
    prefix = "error: "


class UsageError(PtproveError):
    status = EXIT_USAGE


class SolverError(PtproveError):
    status = EXIT_SOLVER


class Interrupted(PtproveError):
    """Ctrl-C, with what was kept of the work done so far."""

    status = EXIT_INTERRUPTED
    prefix = ""


def require_known(what: str, given, known) -> None:
    """One UsageError line for the first of `given` not among `known`."""
    known = list(known)
    for name in given:
        if name not in known:
            raise UsageError(f"unknown {what} {name!r} (known: {', '.join(known)})")


def named(error: PtproveError, where: str) -> PtproveError:
    """`error` (same class and exit status) with its message prefixed by `where`
    (a file name), unless the message already starts with it."""
    if not str(error).startswith(where):
        error.args = (f"{where}: {error}",)
    return error


class InternalError(PtproveError):
    """A bug in ptprove itself, reported as one line (where it happened) with the results
    already computed saved; exit 2."""

    status = EXIT_USAGE
    prefix = "internal error (a bug in ptprove, please report it): "
