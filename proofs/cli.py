"""ptprove proves or refutes the invariants of Xen's page-table code (the
RISC-V and Arm hypervisor page tables, the RISC-V fixmap and the p2m) on an
SMT model of each version, and compares the verdicts with
proofs/expectations.json.  A refuted invariant comes with a replayable trace
(a counterexample vector) that `ptprove show` explains step by step.

Start with `ptprove prove` (what `make prove` runs), `ptprove list` for the
versions and obligations, and `ptprove show counterexamples/<version>/<obligation>.json`.

exit status: 0 every verdict as expected; 1 a verdict (or a vector) differs;
2 usage, input or output error; 3 a solver is missing or did not decide;
130 interrupted (Ctrl-C or SIGTERM).  Every error is one line on stderr."""
from __future__ import annotations

import argparse
import os
import sys
from importlib import metadata
from typing import NoReturn, Sequence

from proofs import interrupt
from proofs.errors import EXIT_INTERRUPTED, EXIT_USAGE, PtproveError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse prints usage too)
        command = self.prog.removeprefix("ptprove").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def version() -> str:
    try:
        return metadata.version("ptprove")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    from proofs import cmd_diff, cmd_export, cmd_prove, cmd_pte, cmd_review, cmd_vectors

    parser = _Parser(prog="ptprove", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ptprove {version()}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                metavar="COMMAND")
    cmd_prove.register(sub)
    cmd_vectors.register(sub)
    cmd_pte.register(sub)
    cmd_export.register(sub)
    cmd_diff.register(sub)
    cmd_review.register(sub)
    return parser


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every error ends in one line on stderr and its exit status."""
    try:
        with interrupt.handled():
            args = build_parser().parse_args(argv)
            return int(args.run(args) or 0)
    except PtproveError as e:
        print(f"ptprove: {e.prefix}{_one_line(str(e))}", file=sys.stderr)
        return e.status
    except BrokenPipeError:  # e.g. `ptprove list | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # a path that cannot be read or written
        where = f"{e.filename}: " if e.filename else ""
        print(f"ptprove: error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        interrupt.acknowledge()
        print(f"ptprove: interrupted ({interrupt.what()})", file=sys.stderr)
        return EXIT_INTERRUPTED


def entry() -> NoReturn:
    """The `ptprove` console script.  After Ctrl-C it skips the interpreter's
    teardown of the solver's heap (seconds after a long run): stop means stop."""
    status = main()
    if status == EXIT_INTERRUPTED:
        interrupt.stop_workers()  # one the pool forked while Ctrl-C was handled
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
