"""Which versions' pt.c is at hand, and pt.c compiled to LLVM IR with the shim.

The C is never part of ptprove: merged versions are read from a Xen tree (by
default `../shared/xen/` beside the repository, or a user's `--xen-src`), v5 from
seed 000's diff (its `+` lines create pt.c whole), and a user may give any pt.c
(`--c-source`).  Each is copied only into a temporary directory, staged with the
shim as the C harness stages it, and compiled with `proofs/c/ptprove_lift.c`.
"""
from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from model.c.ir import Module, parse_module
from model.c.toolchain import IRBuild, compile_to_ir
from proofs.c_harness import HERE as C_DIR
from proofs.c_harness import stage
from proofs.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
DEFAULT_XEN = SHARED / "xen"
SEED_000 = SHARED / "seeds" / "000_8afac2f4e5276757.txt"
SEED_NEW_FILE = "+++ b/xen/arch/riscv/pt.c"
PT_C = Path("xen/arch/riscv/pt.c")

#: version -> where its pt.c is under a Xen tree (None: from seed 000)
TREE_PATHS: dict[str, Optional[Path]] = {
    "riscv-pt-v5": None,
    "riscv-pt-v9": Path("v9") / PT_C,
    "riscv-pt-upstream": Path("upstream") / PT_C,
}


def extract_seed_pt_c(seed: Path, dest: Path) -> Optional[Path]:
    """Write seed 000's pt.c (the `+` lines of its one new-file hunk) to dest/pt.c."""
    if not seed.is_file():
        return None
    lines = seed.read_text(encoding="utf-8", errors="replace").splitlines()
    if SEED_NEW_FILE not in lines:
        raise UsageError(f"{seed}: no new pt.c in this seed's diff")
    body = []
    for line in lines[lines.index(SEED_NEW_FILE) + 1:]:
        if line.startswith("@@"):
            continue
        if not line.startswith("+"):
            break
        body.append(line[1:])
    out = dest / "pt.c"
    out.write_text("\n".join(body) + "\n", encoding="utf-8")
    return out


def versions_at_hand(xen: Path = DEFAULT_XEN, seed: Path = SEED_000,
                     scratch: Optional[Path] = None) -> dict[str, Path]:
    """version -> a pt.c file for every version whose C is on this machine.  v5's is
    extracted into `scratch` (a temporary directory when not given)."""
    found: dict[str, Path] = {}
    for version, rel in TREE_PATHS.items():
        if rel is None:
            d = scratch or Path(tempfile.mkdtemp(prefix="ptprove-v5-"))
            d.mkdir(parents=True, exist_ok=True)
            p = extract_seed_pt_c(seed, d)
            if p is not None:
                found[version] = p
        elif (xen / rel).is_file():
            found[version] = xen / rel
    return found


@dataclass
class LiftedC:
    """pt.c compiled to IR and parsed: what every result's bounds name."""

    path: Path
    sha256: str
    build: IRBuild
    module: Module

    def bounds(self) -> dict:
        return {"c_file": str(self.path), "c_sha256": self.sha256, "compiler": self.build.compiler,
                "target": self.build.target}


def lift_c(c_source: Path, version: str, cc: Optional[str] = None) -> LiftedC:
    """Compile `c_source` (a pt.c) for `version`'s shim flavour and parse its IR."""
    c_source = Path(c_source)
    if not c_source.is_file():
        raise UsageError(f"{c_source}: no such C file")
    data = c_source.read_bytes()
    text = data.decode("utf-8", errors="replace")
    with tempfile.TemporaryDirectory(prefix="ptprove-lift-") as tmp:
        d = Path(tmp)
        inc, defines = stage(c_source, text, d, version)
        unit = d / "ptprove_lift.c"
        unit.write_bytes((C_DIR / "ptprove_lift.c").read_bytes())
        build = compile_to_ir(unit, include_dirs=[d, inc], defines=[x[2:] for x in defines],
                              pre_includes=["ptprove_shim.h"], cc=cc, shown_as=str(c_source))
    return LiftedC(c_source, hashlib.sha256(data).hexdigest(), build, parse_module(build.text))
