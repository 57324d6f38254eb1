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
        if vector["kind"] == "layout":
            return "a fact about config.h's constants, not a call the C can run"
        if vector["kind"] != "trace":
            return "a not-inductive step starts from a pre-state the C code cannot be put in"
        return None

    def run(self, vector: dict, seconds: int = RUN_SECONDS) -> dict[str, Any]:
        from proofs.systems.riscv_fixmap.vectors import calls_of

        init = vector["initial_state"]
        cells = [f"cell {int(t['frame'], 16):x} {e['index']:x} {int(e['raw'], 16):x}"
                 for t in init["tables"] for e in t["entries"]]
        lines = trace_lines(vector, calls_of(vector))
        lines[1:1] = [f"fixmap {int(init['xen_fixmap'], 16):x}", *cells]
        return run_driver(self.binary(), lines, self.tmp / "calls.txt", seconds)
