"""`ptprove pte decode`: how the spec reads a page-table entry at a level."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Iterable, Iterator

from model.arm import lpae
from model.riscv import pte as rv
from proofs.errors import UsageError

ARCHES = ("riscv", "arm")
RISCV_BASE_MODES = ("sv39", "sv48", "sv57")
DEFAULT_EXT = "svpbmt"


def register(subparsers) -> None:
    p = subparsers.add_parser("pte", help="page-table entry tools (decode)",
                              description="Page-table entry tools: `ptprove pte decode` classifies entries.")
    sub = p.add_subparsers(dest="pte_command", required=True, metavar="COMMAND")
    d = sub.add_parser(
        "decode",
        help="classify entries as the architecture does",
        description="Decode 64-bit entries (hex; '-' reads one per line from stdin) "
        "found at LEVEL of a walk: kind, fault reasons, fields.",
    )
    d.add_argument("values", nargs="+", metavar="HEX", help="64-bit entries in hex, or '-' for stdin")
    d.add_argument("--arch", default="riscv", help="riscv (default) or arm (VMSAv8-64 4KB stage 1)")
    d.add_argument("--mode", default=None, help="riscv: sv39 (default), sv48, sv57")
    d.add_argument("--gstage", action="store_true", help="riscv: the hgatp x4 mode (G-stage)")
    d.add_argument("--level", required=True, help="walk level: riscv 0..root, arm 0..3")
    d.add_argument("--ext", default=None,
                   help=f"riscv: comma list of {','.join(rv.EXTENSION_NAMES)}, or 'none' (default {DEFAULT_EXT})")
    d.add_argument("--json", action="store_true", help="one JSON array, one object per entry")
    d.set_defaults(run=run_decode)


def parse_ext(text: str) -> rv.Extensions:
    names = [] if text.strip() == "none" else [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in rv.EXTENSION_NAMES]
    if unknown:
        raise UsageError(f"unknown extension {unknown[0]!r} (known: {', '.join(rv.EXTENSION_NAMES)}, none)")
    return rv.Extensions(**{n: n in names for n in rv.EXTENSION_NAMES})


def parse_value(text: str) -> int:
    try:
        value = int(text.strip(), 16)
    except ValueError:
        raise UsageError(f"not a hexadecimal entry: {text.strip()!r}") from None
    if not 0 <= value < 1 << rv.PTE_WIDTH:
        raise UsageError(f"entry {text.strip()!r} does not fit in 64 bits")
    return value


def expand_stdin(values: Iterable[str]) -> Iterator[str]:
    for v in values:
        if v == "-":
            yield from (line for line in sys.stdin.read().splitlines() if line.strip())
        else:
            yield v


def parse_level(text: str, top: int, where: str) -> int:
    try:
        level = int(text)
    except ValueError:
        raise UsageError(f"--level must be an integer, not {text!r}") from None
    if not 0 <= level <= top:
        raise UsageError(f"level {level} outside {where} (0..{top})")
    return level


def _riscv_decoder(args):
    mode_name = args.mode or "sv39"
    if mode_name not in RISCV_BASE_MODES:
        raise UsageError(f"unknown mode {mode_name!r} (known: {', '.join(RISCV_BASE_MODES)}; add --gstage for x4)")
    mode = rv.gstage_of(rv.MODES[mode_name]) if args.gstage else rv.MODES[mode_name]
    level = parse_level(args.level, mode.root_level, mode.name)
    ext = parse_ext(args.ext if args.ext is not None else DEFAULT_EXT)
    common = {"arch": "riscv", "mode": mode.name, "level": level, "gstage": mode.gstage, "ext": ext.names}
    return lambda v: {**rv.describe_pte(v, mode, level, ext), **common}


def _arm_decoder(args):
    for flag, given in (("--mode", args.mode), ("--gstage", args.gstage or None), ("--ext", args.ext)):
        if given is not None:
            raise UsageError(f"{flag} applies to --arch riscv only (arm: 4KB-granule stage 1)")
    level = parse_level(args.level, lpae.LPAE_MAX_LEVEL, "the arm 4KB walk")
    common = {"arch": "arm", "mode": "vmsav8-64-4k", "level": level, "gstage": False}
    return lambda v: {**lpae.describe_desc(v, level), **common}


def human_line(d: dict) -> str:
    line = f"{d['pte']}  {d['decoded']}"
    if d["arch"] == "riscv":
        line += f"  {d['kind']}"
    if "perms" in d:
        line += f" perms={d['perms'] or '-'} user={'yes' if d['user'] else 'no'}"
        if d.get("shadow_stack"):
            line += " shadow-stack"
    if d["reasons"]:
        line += f"  reasons={','.join(d['reasons'])}"
    return line


def run_decode(args: argparse.Namespace) -> int:
    if args.arch not in ARCHES:
        raise UsageError(f"unknown arch {args.arch!r} (known: {', '.join(ARCHES)})")
    decode = _riscv_decoder(args) if args.arch == "riscv" else _arm_decoder(args)
    values = [parse_value(v) for v in expand_stdin(args.values)]
    if not values:
        raise UsageError("no entries to decode: standard input ('-') was empty")
    out = [decode(v) for v in values]
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for d in out:
            print(human_line(d))
    return 0
