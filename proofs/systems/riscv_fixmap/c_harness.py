"""riscv-fixmap vectors replayed on RISC-V pt.c and mm.c, compiled with ptprove's shims and driver.

set_fixmap and clear_fixmap are pt.c's; setup_fixmap_mappings is mm.c's, and
mm.c as a whole needs the boot environment (the linker's tables, the load
offset), so only that function is taken from it (`setup_fixmap_function`) and
compiled after pt.c.  The build is pt.c's (`proofs/c_harness.py` stage:
pt.c's shim, the tree's asm/page.h) with `proofs/c/ptprove_fixmap_shim.h`
on top (the tree's fixmap layout, the frames setup_fixmap_mappings reaches)
and `proofs/c/driver.c` with PTPROVE_FIXMAP.  The driver starts from the
vector's initial tables (the boot state) and runs each call; compared with
the model as riscv-pt's vectors are (return codes or where the C stopped, the
tables, the table pages, a stale TLB at the end).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

from model.riscv.fixmap import PAGE_INFO_SIZE
from proofs import c_header
from proofs.c_harness import ITERATION_CAP, RUN_SECONDS, Harness, compile_driver, run_driver, stage, trace_lines
from proofs.errors import UsageError

SHIM = "ptprove_fixmap_shim.h"
SETUP = re.compile(r"^void\s+(?:__init\s+)?setup_fixmap_mappings\s*\(void\)\s*\n\{.*?^\}\n", re.M | re.S)


def setup_fixmap_function(mm_c: Path) -> str:
    """setup_fixmap_mappings as mm.c defines it (UsageError: mm.c lacks it)."""
    try:
        text = mm_c.read_text(encoding="utf-8", errors="replace")
    except OSError:
        raise UsageError(f"{mm_c}: no mm.c beside pt.c (setup_fixmap_mappings is there)") from None
    m = SETUP.search(text)
    if m is None:
        raise UsageError(f"{mm_c}: no setup_fixmap_mappings(void) definition")
    return m.group(0)


#: riscv-fixmap-v5's C: seed 002 (proofs/refine/sources.py SHARED)
SEED_002 = "002_1765b4b5e0e5695c.txt"
#: what of the v5 tree comes from upstream's, what from the seed (the model's own split, fixmap.py V5)
V5_FROM_UPSTREAM = ("pt.c", "include/asm/page.h", "include/asm/page-bits.h", "include/asm/mm.h",
                    "include/asm/config.h")
#: v5's layout regions: those seed 002's config.h carries (its model's, RiscvFixmapV5.layout);
#: the v5 tree's frametable and vmap are upstream's rows, which the seed does not touch
V5_LAYOUT_NOTE = ("the same xen, fdt, fixmap and directmap regions from upstream's config.h with seed "
                  "002's #defines after it and its fixmap.h (frametable and vmap, upstream's rows the "
                  "seed does not carry and its model has not, are not compared)")
V5_TREE_NOTE = ("upstream's pt.c (set/clear_fixmap, as the model drives them) with seed 002's "
                "setup_fixmap_mappings, fixmap.h and config.h definitions")


def v5_tree(upstream_riscv: Path, seed: Path, dest: Path) -> Optional[Path]:
    """Lay out riscv-fixmap-v5's C as its model describes it (model/riscv/fixmap.py
    RiscvFixmapV5) under `dest/xen/arch/riscv/`: upstream's pt.c and asm headers; seed
    002's fixmap.h (a new file, whole) and the mm.c lines it adds (setup_fixmap_mappings);
    config.h is upstream's with the seed's added `#define`s after it (a later definition
    wins: XEN_VIRT_SIZE, GAP_SIZE, BOOT_FDT_VIRT_*, FIXMAP_BASE; XEN_VIRT_START, which the
    patch leaves alone, stays upstream's).  Returns its pt.c (None: a source is missing)."""
    from proofs.refine.sources import seed_added_lines

    if not seed.is_file() or not all((upstream_riscv / f).is_file() for f in V5_FROM_UPSTREAM):
        return None
    mm_c, fixmap_h, config_h = (seed_added_lines(seed, f"xen/arch/riscv/{f}")
                                for f in ("mm.c", "include/asm/fixmap.h", "include/asm/config.h"))
    if mm_c is None or fixmap_h is None or config_h is None:
        raise UsageError(f"{seed}: not seed 002's diff (no mm.c, fixmap.h and config.h hunks)")
    riscv = dest / "xen" / "arch" / "riscv"
    (riscv / "include" / "asm").mkdir(parents=True, exist_ok=True)
    for f in V5_FROM_UPSTREAM:
        (riscv / f).write_text((upstream_riscv / f).read_text(encoding="utf-8", errors="replace"), encoding="utf-8")
    (riscv / "mm.c").write_text("\n".join(mm_c) + "\n", encoding="utf-8")
    (riscv / "include" / "asm" / "fixmap.h").write_text("\n".join(fixmap_h) + "\n", encoding="utf-8")
    defines = [ln for ln in config_h if ln.lstrip().startswith("#define")]
    with open(riscv / "include" / "asm" / "config.h", "a", encoding="utf-8") as f:
        f.write("\n/* ptprove: the #defines seed 002 adds to config.h, after upstream's */\n"
                + "\n".join(defines) + "\n")
    return riscv / "pt.c"


class FixmapHarness(Harness):
    """RISC-V pt.c with mm.c's setup_fixmap_mappings, built once."""

    system = "riscv-fixmap"
    prefix = "ptprove-fixmap-c-"

    def binary(self, version: str = "riscv-fixmap-upstream") -> Path:
        if "fixmap" not in self.binaries:
            d = self.tmp / "fixmap"
            setup = setup_fixmap_function(self.source.parent / "mm.c")
            inc, defines = stage(self.source, self.text + setup, d, "riscv-pt-upstream", SHIM)
            c_header.write_fixmap(self.source, inc)
            (d / "setup_fixmap.c").write_text(f'#line 1 "{self.source.parent / "mm.c"} (setup_fixmap_mappings)"\n'
                                              + setup, encoding="utf-8")
            self.binaries["fixmap"] = compile_driver(self.compiler, self.source, d, inc, SHIM, "driver.c",
                                                     defines + ["-DPTPROVE_FIXMAP",
                                                                f"-DPTPROVE_ITERATION_CAP={ITERATION_CAP}"])
        return self.binaries["fixmap"]

    def not_comparable(self, vector: dict) -> Optional[str]:
        if vector["system"] != "riscv-fixmap":
            return f"the fixmap harness runs riscv-fixmap vectors, not {vector['system']}"
        if vector["kind"] not in ("trace", "layout"):
            return "a not-inductive step starts from a pre-state the C code cannot be put in"
        return None

    def layout_binary(self) -> Path:
        """The regions of the tree's config.h / fixmap.h, computed by the compiler
        (`proofs/c/layout_driver.c`)."""
        if "layout" not in self.binaries:
            d = self.tmp / "layout"
            inc, defines = stage(self.source, self.text, d, "riscv-pt-upstream", SHIM)
            c_header.write_fixmap(self.source, inc)
            c_header.write_layout(self.source, inc)
            self.binaries["layout"] = compile_driver(self.compiler, self.source, d, inc, SHIM, "layout_driver.c",
                                                     defines + [f"-DPTPROVE_PAGE_INFO_SIZE={PAGE_INFO_SIZE}"])
        return self.binaries["layout"]

    def same_in(self, vector: dict) -> str:
        if vector["kind"] == "layout" and vector["version"] == "riscv-fixmap-v5":
            return V5_LAYOUT_NOTE
        if vector["kind"] == "layout":
            return "the same regions from the tree's config.h and fixmap.h"
        if vector["version"] == "riscv-fixmap-v5":
            return f"{super().same_in(vector)}; C: {V5_TREE_NOTE}"
        return super().same_in(vector)

    def ran_to_cap(self, vector: dict) -> bool:
        return vector["kind"] != "layout" and super().ran_to_cap(vector)

    def run(self, vector: dict, seconds: int = RUN_SECONDS) -> dict[str, Any]:
        from proofs.systems.riscv_fixmap.vectors import calls_of

        if vector["kind"] == "layout":
            return run_driver(self.layout_binary(), [], self.tmp / "none.txt", seconds)

        init = vector["initial_state"]
        cells = [f"cell {int(t['frame'], 16):x} {e['index']:x} {int(e['raw'], 16):x}"
                 for t in init["tables"] for e in t["entries"]]
        lines = trace_lines(vector, calls_of(vector))
        lines[1:1] = [f"fixmap {int(init['xen_fixmap'], 16):x}", *cells]
        return run_driver(self.binary(), lines, self.tmp / "calls.txt", seconds)

    def differences(self, vector: dict, got: dict) -> list[str]:
        if vector["kind"] != "layout":
            return super().differences(vector, got)
        want = {r["name"]: (r["start"], r["end"]) for r in vector["layout"]["regions"]}
        have = {r["name"]: (r["start"], r["end"]) for r in got["regions"]}
        if vector["version"] == "riscv-fixmap-v5":  # V5_LAYOUT_NOTE: the seed's regions only
            have = {n: r for n, r in have.items() if n in want}
        shown = lambda r: f"[{r[0]}, {r[1]})" if r else "none"  # noqa: E731
        return [f"region {n}: model {shown(want.get(n))}, the tree's config.h {shown(have.get(n))}"
                for n in dict.fromkeys([*want, *have]) if want.get(n) != have.get(n)]
