"""`ptprove` command line.  Each subcommand lives in its own module and
registers itself here; every error ends in one line on stderr and an exit
status from `proofs.errors`."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from proofs.errors import EXIT_USAGE, PtproveError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse prints usage too)
        raise PtproveError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    from proofs import cmd_diff, cmd_export, cmd_prove, cmd_pte, cmd_vectors

    parser = _Parser(prog="ptprove", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    cmd_pte.register(sub)
    cmd_prove.register(sub)
    cmd_export.register(sub)
    cmd_vectors.register(sub)
    cmd_diff.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.run(args) or 0)
    except PtproveError as e:
        print(f"ptprove: error: {e}", file=sys.stderr)
        return e.status
    except BrokenPipeError:  # e.g. `ptprove list | head`
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("ptprove: interrupted", file=sys.stderr)
        return EXIT_USAGE
