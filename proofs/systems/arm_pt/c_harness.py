"""arm-pt vectors replayed on Arm's xen/arch/arm/mmu/pt.c, compiled with ptprove's shim and driver.

`proofs/c/ptprove_arm_shim.h` is pt.c's environment (the shared basics of
`ptprove_xen.h`; the LPAE types of the tree's own `asm/lpae.h` and the flag and
memory-type macros of its `asm/page.h`, staged by `proofs/c_header.py`; the
table pool, map_domain_page counted, TTBR0_EL2, write_pte's dsb, isb and
flush_xen_tlb_range_va recorded); `proofs/c/arm_driver.c` includes the pt.c,
runs each call through the public entry point the model's call names
(`map_pages_to_xen`, `destroy_xen_mappings`, `populate_pt_range`,
`modify_xen_mappings`) and prints what happened as JSON.  Compared with the
model as riscv-pt's vectors are (`proofs/c_harness.py` trace_differences: the
return codes or ASSERTs, the tables, the table pages handed out, a stale TLB
at the end, the tables a call left mapped: none, as the Arm model has it).
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Optional

from model.arm.pt import THIRD
from model.arm.walk import DESC_ADDR_MASK, agree, claims, group_members
from model.term import Word
from proofs import c_header
from proofs.c_harness import (ITERATION_CAP, RUN_SECONDS, CFile, compile_driver, run_driver, stage_headers,
                              trace_differences, trace_lines)

SHIM = "ptprove_arm_shim.h"
DRIVER = "arm_driver.c"


class ArmPtHarness(CFile):
    """One Arm mmu/pt.c, built once, with its tree's asm/lpae.h and asm/page.h."""

    system = "arm-pt"
    prefix = "ptprove-arm-pt-c-"

    def binary(self) -> Path:
        if "pt" not in self.binaries:
            d = self.tmp / "arm"
            inc = d / "include"
            lpae = c_header.arm_asm_dir(self.source) / "lpae.h"
            # the Xen headers pt.c and asm/lpae.h include become one-line includes of the shim
            extra = lpae.read_text(encoding="utf-8", errors="replace") if lpae.is_file() else ""
            stage_headers(self.text + extra, inc, SHIM)
            c_header.write_arm(self.source, inc)
            shutil.copy(self.source, d / "pt.c")
            self.binaries["pt"] = compile_driver(self.compiler, self.source, d, inc, SHIM, DRIVER,
                                                 [f"-DPTPROVE_ITERATION_CAP={ITERATION_CAP}"])
        return self.binaries["pt"]

    def not_comparable(self, vector: dict) -> Optional[str]:
        if vector["system"] != "arm-pt":
            return f"the Arm pt.c harness runs arm-pt vectors, not {vector['system']}"
        if vector["kind"] != "trace":
            return "a not-inductive step starts from a pre-state the C code cannot be put in"
        return None

    def run_calls(self, lines: list[str], seconds: int = RUN_SECONDS) -> dict[str, Any]:
        """The driver's JSON for input lines (`proofs/c_harness.py` trace_lines)."""
        return run_driver(self.binary(), lines, self.tmp / "calls.txt", seconds)

    def run(self, vector: dict, seconds: int = RUN_SECONDS) -> dict[str, Any]:
        from proofs.systems.arm_pt.vectors import calls_of

        return self.run_calls(trace_lines(vector, calls_of(vector)), seconds)

    def differences(self, vector: dict, got: dict) -> list[str]:
        return differences(vector, got)


def contiguous_ghost(got: dict) -> None:
    """Each call's `stale` with the TLB ghost's contiguous-group rule applied to the C's
    writes in order (model/arm/pt.py ArmExec.write, its functions, not a copy): a
    write of an entry with the contiguous bit into a group with a live member it
    disagrees with makes the TLB stale; a flush clears it.  Levels: the first write
    of the run is into the root (level 0); a table link gives its table's level."""
    mem: dict[tuple[int, int], int] = {}
    level: dict[int, int] = {}
    stale = False
    for c in got["calls"]:
        for e in c.get("events", ()):
            if e == "flush":
                stale = False
                continue
            frame, idx, old, new = int(e[0], 16), e[1], int(e[2], 16), int(e[3], 16)
            lvl = level.setdefault(frame, 0) if not level else level.get(frame)
            if lvl is not None and lvl < THIRD and new & 3 == 3:
                level[(new & DESC_ADDR_MASK) >> 12] = lvl + 1
            if lvl is not None and 1 <= lvl <= THIRD and bool(claims(Word(new, 64), lvl)):
                i = Word(idx, 9)
                read = lambda f, k: Word(mem.get((f, int(k)), 0), 64)  # noqa: E731
                conflict = any(int(pos) != idx and not bool(agree(Word(new, 64), i, m, pos, lvl))
                               for pos, m in group_members(read, frame, i))
                stale = stale or (conflict and old != new)
            stale = stale or (bool(old & 1) and old != new)
            mem[(frame, idx)] = new
        c["stale"] = stale


def differences(vector: dict, got: dict) -> list[str]:
    """trace_differences (which also compares the tables each call left mapped: the Arm
    model counts none, so a C call that returns with one mapped is a difference)."""
    contiguous_ghost(got)
    return trace_differences(vector, got)
