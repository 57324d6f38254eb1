"""Which versions' pt.c is at hand, and pt.c compiled to LLVM IR with the shim.

The C is never part of ptprove: merged versions are read from a Xen tree (by
default `../shared/xen/` beside the repository, or a user's `--xen-src`), v5 from
seed 000's diff (its `+` lines create pt.c whole), and a user may give any pt.c
(`--c-source`).  Each is copied only into a temporary directory, staged with the
shim as the C harness stages it, and compiled with `proofs/c/ptprove_lift.c`.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from model.c.ir import Function, Module, UnsupportedIR, parse_module
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
    text = "\n".join(body) + "\n"
    # forked workers share the scratch directory: never truncate a file another process may be
    # reading (a torn read would make lift_header miss v5's header: a worker would see fewer units)
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        tmp = dest / f".pt.c.{os.getpid()}"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    return out


_SCRATCH: list[Path] = []


def scratch_dir() -> Path:
    """One temporary directory per process for extracted C, removed at exit."""
    if not _SCRATCH:
        import atexit
        import shutil
        d = Path(tempfile.mkdtemp(prefix="ptprove-extracted-"))
        atexit.register(shutil.rmtree, d, True)
        _SCRATCH.append(d)
    return _SCRATCH[0]


def versions_at_hand(xen: Path = DEFAULT_XEN, seed: Path = SEED_000,
                     scratch: Optional[Path] = None) -> dict[str, Path]:
    """version -> a pt.c file for every version whose C is on this machine.  v5's is
    extracted into `scratch` (by default this process's temporary directory)."""
    found: dict[str, Path] = {}
    for version, rel in TREE_PATHS.items():
        if rel is None:
            d = (scratch or scratch_dir()) / "v5"
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
    asm_sha256: str = ""  # the tree's asm headers the C was built with (proofs/c_header.py), if any

    def function(self, name: str) -> Function:
        """A function the file defines (a declaration or a missing one is unsupported)."""
        f = self.module.functions.get(name)
        if f is None or f.declaration:
            raise UnsupportedIR(f"{self.path}: function {name} is not defined")
        return f

    def bounds(self) -> dict:
        out = {"c_file": str(self.path), "c_sha256": self.sha256, "compiler": self.build.compiler,
               "target": self.build.target}
        if self.asm_sha256:
            out["asm_sha256"] = self.asm_sha256
        return out


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
    return LiftedC(c_source, hashlib.sha256(data).hexdigest(), build, parse_module(build.text),
                   asm_digest(c_source))


def asm_digest(c_source: Path) -> str:
    """sha256 of the tree headers a pt.c in a tree is built with ("" for none): a vector of
    the lifted C is replayed only while they, too, are unchanged."""
    from proofs import c_header

    found = c_header.tree_header(c_source)
    return hashlib.sha256(found.text.encode("utf-8")).hexdigest() if found else ""


# ---------------------------------------------------------------------------
# the version's own asm/page.h predicates (the shim restates them; these are the real ones)

PREDICATES = ("pte_is_valid", "pte_is_table", "pte_is_mapping")
PREDICATE_DEF = re.compile(r"(?:static\s+)?inline\s+bool\s+(pte_is_(?:valid|table|mapping))\s*\(([^)]*)\)\s*\{")
PAGE_H = Path("include/asm/page.h")
SEED_PAGE_H = "+++ b/xen/arch/riscv/include/asm/page.h"
HEADER_PREFIX = "ptprove_hdr_"


def header_text(version: str, c_source: Path, seed: Path = SEED_000) -> Optional[tuple[str, str]]:
    """(where, text) of the asm/page.h beside `c_source` (xen/arch/riscv/include/asm/page.h),
    or, when `c_source` is seed 000's own pt.c, the lines the seed adds to page.h; None if
    neither is there."""
    beside = Path(c_source).parent / PAGE_H
    if beside.is_file():
        return str(beside), beside.read_text(encoding="utf-8", errors="replace")
    if version == "riscv-pt-v5" and seed.is_file() and is_seed_pt_c(Path(c_source), seed):
        added = seed_added_lines(seed, SEED_PAGE_H[len("+++ b/"):])
        if added is not None:
            return f"{seed} (asm/page.h hunk)", "\n".join(added)
    return None


def seed_added_lines(seed: Path, target: str) -> Optional[list[str]]:
    """The lines a seed's diff (its own patch, not a quoted one) adds to `target`
    (e.g. xen/arch/riscv/mm.c), in order; None when the diff does not touch it."""
    lines = seed.read_text(encoding="utf-8", errors="replace").splitlines()
    head = f"+++ b/{target}"
    if head not in lines:
        return None
    added = []
    for line in lines[lines.index(head) + 1:]:
        if line.startswith("diff --git") or line.startswith("+++ ") or line == "-- ":
            break
        if line.startswith("+"):
            added.append(line[1:])
    return added


def is_seed_pt_c(c_source: Path, seed: Path) -> bool:
    with tempfile.TemporaryDirectory(prefix="ptprove-seed-") as tmp:
        p = extract_seed_pt_c(seed, Path(tmp))
        return p is not None and p.read_bytes() == c_source.read_bytes()


def header_predicates(text: str) -> dict[str, str]:
    """name -> the C of each pte_is_* predicate defined in `text`, renamed ptprove_hdr_<name>
    and made an external function (its body is taken brace-balanced, as written)."""
    out = {}
    for m in PREDICATE_DEF.finditer(text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[m.end() - 1:i]
        out[m.group(1)] = f"bool {HEADER_PREFIX}{m.group(1)}({m.group(2)})\n{body}\n"
    return out


def lift_header(version: str, c_source: Path, cc: Optional[str] = None,
                seed: Path = SEED_000) -> Optional[tuple[LiftedC, list[str]]]:
    """The version's own PTE predicates compiled (with the shim's PTE_* and ASSERT), or None."""
    found = header_text(version, c_source, seed)
    if found is None:
        return None
    where, text = found
    preds = header_predicates(text)
    if not preds:
        return None
    with tempfile.TemporaryDirectory(prefix="ptprove-hdr-") as tmp:
        d = Path(tmp)
        inc, defines = stage(Path(c_source), "", d, version)
        unit = d / "page_h_predicates.c"
        unit.write_text('#include "ptprove_shim.h"\n\n' + "\n".join(preds.values()), encoding="utf-8")
        build = compile_to_ir(unit, include_dirs=[inc], defines=[x[2:] for x in defines],
                              cc=cc, shown_as=where)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LiftedC(Path(where.split(" (")[0]), digest, build, parse_module(build.text)), sorted(preds)
