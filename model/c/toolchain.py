"""C -> LLVM IR text: zig's bundled clang (PyPI `ziglang`) by default, a system clang on request.

`python -m ziglang cc -target riscv64-linux-musl` builds for RISC-V with zig's own
libc headers, so the IR has the layout and ABI of the target Xen runs on.  A system
`clang` (`--cc clang`) builds for the host: its riscv64 target needs a RISC-V libc's
headers, which a host does not have.  Every build says which compiler and target made it.
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from proofs.errors import UsageError

ZIG = "zig"
RISCV_TARGET = "riscv64-linux-musl"
HOST_TARGET = "host"
OPT_FLAGS = ("-O1", "-g0", "-fno-inline-functions")  # keep each pt.c function one IR function
COMPILE_SECONDS = 120


@dataclass(frozen=True)
class IRBuild:
    """One translation unit compiled to IR, and how."""

    text: str
    compiler: str  # "zig cc 0.17.1" / "clang" / a path
    target: str  # RISCV_TARGET or HOST_TARGET


def zig_available() -> bool:
    return importlib.util.find_spec("ziglang") is not None


def _zig_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("ziglang")
    except PackageNotFoundError:
        return "?"


def compiler_command(cc: Optional[str]) -> tuple[list[str], str, str]:
    """(argv prefix, compiler description, target) for `cc` (None: zig's clang)."""
    if cc is None or cc == ZIG:
        if not zig_available():
            raise UsageError("C compiler 'zig' not found (pip install ziglang, or pass --cc clang)")
        return ([sys.executable, "-m", "ziglang", "cc", "-target", RISCV_TARGET],
                f"zig cc {_zig_version()}", RISCV_TARGET)
    if shutil.which(cc) is None:
        raise UsageError(f"C compiler {cc!r} not found (install it, or leave --cc out to use zig's clang)")
    return [cc], cc, HOST_TARGET


def host_compiler(cc: Optional[str]) -> tuple[list[str], str]:
    """(argv prefix, description) of the compiler that builds a harness to run on this
    machine: `cc` (a name on PATH), or zig's clang for the host when None (its first
    link builds zig's libc once, some seconds, cached in zig's global cache)."""
    if cc is None or cc == ZIG:
        if not zig_available():
            raise UsageError("C compiler 'zig' not found (pip install ziglang, or set CC / pass --cc)")
        return [sys.executable, "-m", "ziglang", "cc"], f"zig cc {_zig_version()} (host)"
    if shutil.which(cc) is None:
        raise UsageError(f"C compiler {cc!r} not found (install it, or leave CC / --cc unset for zig's)")
    return [cc], cc


def compile_to_ir(unit: Path, include_dirs: Sequence[Path] = (), defines: Sequence[str] = (),
                  pre_includes: Sequence[str] = (), cc: Optional[str] = None,
                  shown_as: Optional[str] = None) -> IRBuild:
    """Compile one C file to LLVM IR text.  A compile error is one UsageError line
    naming `shown_as` (the user's file) rather than the temporary copy."""
    argv, desc, target = compiler_command(cc)
    out = unit.with_suffix(".ll")
    cmd = [*argv, "-S", "-emit-llvm", *OPT_FLAGS, "-std=gnu11", "-w",
           *(f"-D{d}" for d in defines)]
    for d in include_dirs:
        cmd += ["-I", str(d)]
    for h in pre_includes:
        cmd += ["-include", h]
    cmd += ["-o", str(out), str(unit)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_SECONDS)
    except subprocess.TimeoutExpired:
        raise UsageError(f"{shown_as or unit}: compiling to LLVM IR took over {COMPILE_SECONDS} s") from None
    except OSError as e:
        raise UsageError(f"C compiler {desc!r} cannot run: {e.strerror}") from None
    if p.returncode != 0:
        lines = p.stderr.splitlines()
        first = next((ln for ln in lines if "error" in ln), lines[0] if lines else "?")
        first = first.replace(str(unit.parent) + "/", "")
        raise UsageError(f"{shown_as or unit}: does not compile to LLVM IR ({desc}): {first.strip()}")
    return IRBuild(out.read_text(encoding="utf-8"), desc, target)
