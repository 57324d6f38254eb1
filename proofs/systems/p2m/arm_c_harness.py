"""p2m vectors of arm-p2m-upstream replayed on Arm's xen/arch/arm/mmu/p2m.c.

The whole mmu/p2m.c pulls in the VMID allocator, the IOMMU, memaccess and the
virtual-paging set-up, none of which the model has; so the harness compiles the
p2m_set_entry path only, extracted by name (`proofs/c_extract.py`, the file's own
text, in its order): __p2m_set_entry and every function it calls, with
p2m_write_unlock, p2m_insert_mapping and map_regions_p2mt of the tree's
arch/arm/p2m.c.  `proofs/c/ptprove_arm_p2m_shim.h` is their environment (the
tree's asm/lpae.h, the MATTR_*/LPAE_SH_* macros of its asm/page.h, the p2m_type_t
enum and p2m_is_* macros of its asm/p2m.h; the table width is the vector's);
`proofs/c/arm_p2m_driver.c` runs each call and prints the JSON of the RISC-V
driver, compared by the same `differences` (return codes, tables, pool pages in
use, references on the watched frame, need_flush after the unlock).  Arm's root
is 4 pages of 2^index_bits entries each (p2m_get_root_pointer maps page
`gfn >> (XEN_PT_LEVEL_ORDER(P2M_ROOT_LEVEL) + XEN_PT_LPAE_SHIFT)` of p2m->root),
frames 0x80000..0x80003 in the driver's output and in the model's vectors alike.
"""
from __future__ import annotations

from proofs.engine import callers

import re
import shutil
from pathlib import Path
from typing import Any, Optional

from proofs import c_extract, c_header
from proofs.c_harness import RUN_SECONDS, CFile, compile_driver, run_driver, stage_headers
from proofs.errors import UsageError
from proofs.systems.p2m.c_harness import differences as p2m_differences

SHIM = "ptprove_arm_p2m_shim.h"
DRIVER = "arm_p2m_driver.c"
VERSIONS = ("arm-p2m-upstream",)
#: mmu/p2m.c: __p2m_set_entry and what it calls
MMU_P2M = ("p2m_root_order", "p2m_root_level", "empty_root_mfn", "generate_vttbr", "p2m_alloc_page", "p2m_free_page",
           "p2m_force_tlb_flush_sync", "p2m_tlb_flush_sync", "p2m_get_root_pointer", "p2m_is_valid",
           "p2m_is_mapping", "p2m_is_superpage", "p2m_create_table", "p2m_next_level",
           "p2m_set_permission", "mfn_to_p2m_entry", "page_to_p2m_table", "p2m_write_pte",
           "p2m_remove_pte", "p2m_mem_access_radix_set", "p2m_put_foreign_page", "p2m_put_l3_page",
           "p2m_put_l2_superpage", "p2m_put_page", "p2m_free_entry", "p2m_split_superpage",
           "__p2m_set_entry", "p2m_set_entry")
#: arch/arm/p2m.c
ARCH_P2M = ("p2m_write_unlock", "p2m_insert_mapping", "map_regions_p2mt")
#: asm/p2m.h
P2M_H = ("p2m_type_t", "#p2m_to_mask", "#P2M_RAM_TYPES", "#P2M_FOREIGN_TYPES", "#p2m_is_ram",
         "#p2m_is_foreign")
PAGE_MACRO = re.compile(r"^(MATTR_\w+|LPAE_SH_\w+)$")
TYPES_H = "ptprove_arm_p2m_types.h"


def is_arm_p2m(c_source: Path) -> bool:
    """Arm's mmu/p2m.c (it has __p2m_set_entry over lpae_t), not RISC-V's p2m.c."""
    try:
        text = Path(c_source).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "lpae_t" in text and "__p2m_set_entry" in text


class ArmP2MHarness(CFile):
    """Arm's mmu/p2m.c, its p2m_set_entry path built once per table width."""

    system = "p2m"
    prefix = "ptprove-arm-p2m-c-"

    def staged_text(self) -> str:
        """The extracted functions of mmu/p2m.c and arch/arm/p2m.c, as one file."""
        arch = self.source.resolve().parent.parent / "p2m.c"
        if not arch.is_file():
            raise UsageError(f"{self.source}: no arch/arm/p2m.c beside mmu/ ({arch}): the harness "
                             "takes map_regions_p2mt from there")
        mmu, missing = c_extract.extract(self.text, MMU_P2M)
        top, missing2 = c_extract.extract(arch.read_text(encoding="utf-8", errors="replace"), ARCH_P2M,
                                          defines=False)
        if missing or missing2:
            raise UsageError(f"{self.source}: does not define {', '.join(missing + missing2)} "
                             "(the Arm p2m C harness runs them)")
        return f"/* extracted by ptprove from {self.source} */\n{mmu}\n/* and from {arch} */\n{top}"

    def binary(self, idx_bits: int) -> Path:
        if idx_bits not in self.binaries:
            d = self.tmp / f"order{idx_bits}"
            shutil.rmtree(d, ignore_errors=True)  # a build that failed before
            inc = d / "include"
            asm = c_header.arm_asm_dir(self.source)
            lpae, p2m_h = asm / "lpae.h", asm / "p2m.h"
            extra = lpae.read_text(encoding="utf-8", errors="replace") if lpae.is_file() else ""
            stage_headers(extra, inc, SHIM)
            c_header.write_arm(self.source, inc)
            if not p2m_h.is_file():
                raise UsageError(f"{self.source}: no asm/p2m.h in its tree ({asm})")
            types, missing = c_extract.extract(p2m_h.read_text(encoding="utf-8", errors="replace"), P2M_H,
                                               defines=False)
            if missing:
                raise UsageError(f"{p2m_h}: does not define {', '.join(missing)}")
            page, _, _ = c_header.extract(asm / "page.h", PAGE_MACRO, None)
            (inc / TYPES_H).write_text(f"/* generated by ptprove from {asm}/page.h and p2m.h */\n"
                                       f"{page}\n{types}\n", encoding="utf-8")
            (d / "p2m.c").write_text(self.staged_text(), encoding="utf-8")
            self.binaries[idx_bits] = compile_driver(self.compiler, self.source, d, inc, SHIM, DRIVER,
                                                     [f"-DPTPROVE_PAGETABLE_ORDER={idx_bits}"])
        return self.binaries[idx_bits]

    def not_comparable(self, vector: dict) -> Optional[str]:
        if vector["system"] != "p2m":
            return f"the Arm p2m.c harness runs p2m vectors, not {vector['system']}"
        if callers.split(vector["version"])[0] not in VERSIONS:  # under any callers: the same C
            return f"{vector['version']} is not Arm's mmu/p2m.c"
        return None

    def run(self, vector: dict, seconds: int = RUN_SECONDS) -> dict[str, Any]:
        from proofs.systems.p2m.vectors import calls_of, machine_of

        m = machine_of(vector["version"]).m
        b = vector["bounds"]
        lines = [f"pool {int(b['pool']):x}"]
        for c in calls_of(vector):
            fails = sum(1 << k for k, f in enumerate(c.fails) if f)
            if c.nr is not None:
                lines.append(f"call range {c.gfn:x} {c.nr:x} {c.mfn:x} {c.t:x} {fails:x}")
            else:
                lines.append(f"call set {c.gfn:x} {m.geo.level_order(c.target):x} {c.mfn:x} {c.t:x} {fails:x}")
        return run_driver(self.binary(int(b["index_bits"])), lines, self.tmp / "calls.txt", seconds)

    def differences(self, vector: dict, got: dict) -> list[str]:
        return p2m_differences(vector, got)

