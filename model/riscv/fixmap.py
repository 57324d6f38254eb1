"""The RISC-V fixmap: its virtual layout, `setup_fixmap_mappings`, `set_fixmap`, `clear_fixmap`.

The layout constants are `asm/config.h` / `asm/fixmap.h`; `setup_fixmap_mappings`
(`mm.c`) walks the boot page tables down to the level-1 entry that covers
FIXMAP_ADDR(0), checks it is not valid and installs the static `xen_fixmap[]`
page as its level-0 table.  `set_fixmap` / `clear_fixmap` (upstream `pt.c`,
df98c03864) are `map_pages_to_xen(.., 1, flags | PTE_SMALL)` and
`destroy_xen_mappings` of one page: they run on the riscv-pt upstream machine
this class extends, so the fixmap is proved against the same `pt_update`.

Model frames (not Xen's): the boot level-1 table, the boot level-0 tables of
the Xen image and `xen_fixmap[]` are fixed frames outside the allocator's pool.
The boot level-0 tables' leaves are not modelled (they read as invalid): the
obligations are about the fixmap's slot of the tree.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from model.cite import follows
from model.memory import FRAME_BITS, Memory, Write
from model.riscv.machine import PC_IDLE, Call, Exec, State, initial_state
from model.riscv.pt_upstream import UPSTREAM, RiscvPtUpstream
from model.riscv.pte import PAGE_SHIFT, PAGETABLE_ENTRIES, PTE_SMALL, PTE_TABLE
from model.riscv.walk import vpn
from model.term import FALSE, TRUE, Bool, Word, bv, ite

MB = 1 << 20
PAGE_SIZE = 1 << PAGE_SHIFT

# the extra entry points, after riscv-pt's four (OPS in model/riscv/machine.py)
OP_SETUP_FIXMAP, OP_SET_FIXMAP, OP_CLEAR_FIXMAP = 4, 5, 6
FIXMAP_OPS = {
    OP_SETUP_FIXMAP: "setup_fixmap_mappings",
    OP_SET_FIXMAP: "set_fixmap",
    OP_CLEAR_FIXMAP: "clear_fixmap",
}

# model frames of the static tables (outside the allocator's pool, 0x1001..)
BOOT_L1_FRAME = 0x1800  # stage1_pgtbl_nonroot[]: the level-1 table under root slot 511
BOOT_L0_FRAME = 0x1801  # first of the Xen image's level-0 tables
XEN_FIXMAP_FRAME = 0x1900  # xen_fixmap[]

CONFIG_H = f"{UPSTREAM} xen/arch/riscv/include/asm/config.h"
FIXMAP_H = f"{UPSTREAM} xen/arch/riscv/include/asm/fixmap.h"
MM_C = f"{UPSTREAM} xen/arch/riscv/mm.c"
PT_C_FIXMAP = f"{UPSTREAM} xen/arch/riscv/pt.c (df98c03864)"
PMAP_H = f"{UPSTREAM} xen/include/xen/pmap.h"


@dataclass(frozen=True)
class Region:
    """A virtual region [start, start + size)."""

    name: str
    start: int
    size: int

    @property
    def end(self) -> int:  # exclusive
        return self.start + self.size


@dataclass(frozen=True)
class Layout:
    xen_virt_start: int
    xen_virt_size: int
    gap_size: int
    boot_fdt_virt_size: int
    num_fix_pmap: int
    #: the regions config.h defines by root-table slot (directmap, frametable, VMAP), below Xen's
    slot_regions: tuple[Region, ...] = ()

    @property
    def boot_fdt_virt_start(self) -> int:
        return self.xen_virt_start + self.xen_virt_size + self.gap_size

    @property
    def fixmap_base(self) -> int:
        return self.boot_fdt_virt_start + self.boot_fdt_virt_size + self.gap_size

    @property
    def fix_last(self) -> int:  # FIX_MISC: the PMAP slots, then one ephemeral slot
        return self.num_fix_pmap

    def fixmap_addr(self, n: int) -> int:
        return self.fixmap_base + n * PAGE_SIZE

    def regions(self) -> dict[str, Region]:
        """Xen image, FDT and fixmap ([FIXADDR_START, FIXADDR_TOP)), then the slot regions,
        as the constants define them."""
        return {
            "xen": Region("xen", self.xen_virt_start, self.xen_virt_size),
            "fdt": Region("fdt", self.boot_fdt_virt_start, self.boot_fdt_virt_size),
            "fixmap": Region("fixmap", self.fixmap_addr(0),
                             self.fixmap_addr(self.fix_last + 1) - self.fixmap_addr(0)),
            **{r.name: r for r in self.slot_regions},
        }


#: SLOTN_ENTRY_BITS for Sv39 (HYP_PT_ROOT_LEVEL 2 * VPN_BITS 9 + PAGE_SHIFT): one root slot is 1 GiB
SLOT_SHIFT = 2 * 9 + PAGE_SHIFT
#: sizeof(struct page_info), as config.h's frametable rows are calculated ("= 48")
PAGE_INFO_SIZE = 48


def slotn(slot: int) -> int:
    """SLOTN(slot): the first address of root slot `slot` (no sign extension, as the C)."""
    return slot << SLOT_SHIFT


def directmap(slot_start: int, slot_end: int) -> Region:
    """DIRECTMAP_VIRT_START / DIRECTMAP_SIZE from DIRECTMAP_SLOT_START / _END."""
    return Region("directmap", slotn(slot_start), slotn(slot_end + 1) - slotn(slot_start))


def frametable(dm_slot_start: int, dm: Region) -> Region:
    """FRAMETABLE_VIRT_START / FRAMETABLE_SIZE: (DIRECTMAP_SIZE / SLOTN(1)) / FRAMETABLE_SCALE_FACTOR
    + 1 slots, below the directmap with one unused slot between."""
    in_slots = (dm.size // slotn(1)) // (PAGE_SIZE // PAGE_INFO_SIZE) + 1
    return Region("frametable", slotn(dm_slot_start - in_slots - 1), in_slots * slotn(1))


def vmap(ft: Region) -> Region:
    """VMAP_VIRT_START / VMAP_VIRT_SIZE: one unused slot below the frametable, 1 GiB."""
    return Region("vmap", slotn((ft.start >> SLOT_SHIFT) - 1 - 1), 1 << 30)


@dataclass(frozen=True)
class CommentRow:
    """A row of the layout comment in config.h: [start, end] and the root slot it claims."""

    name: str
    start: int
    end: int  # inclusive (the v5 comment writes exclusive ends; converted when read)
    slot: int
    last_slot: Optional[int] = None  # a row of several slots ("L2 200-509"): its last one

    @property
    def slots(self) -> range:
        return range(self.slot, (self.slot if self.last_slot is None else self.last_slot) + 1)


class RiscvFixmapUpstream(RiscvPtUpstream):
    name = "riscv-fixmap-upstream"
    source = (f"{UPSTREAM}: asm/config.h, asm/fixmap.h, mm.c setup_fixmap_mappings, "
              "pt.c set_fixmap/clear_fixmap (df98c03864) over riscv-pt-upstream")

    @follows(CONFIG_H, "XEN_VIRT_START, XEN_VIRT_SIZE, GAP_SIZE, BOOT_FDT_VIRT_*, FIXMAP_BASE; "
             "DIRECTMAP_SLOT_START/END, DIRECTMAP_*, FRAMETABLE_*, VMAP_*",
             note=f"Sv39; NUM_FIX_PMAP = 8 from {PMAP_H}")
    def layout(self) -> Layout:
        dm = directmap(200, 509)
        ft = frametable(200, dm)
        return Layout(xen_virt_start=0xFFFFFFFFC0000000, xen_virt_size=16 * MB, gap_size=2 * MB,
                      boot_fdt_virt_size=4 * MB, num_fix_pmap=8, slot_regions=(dm, ft, vmap(ft)))

    @follows(CONFIG_H, "RISC-V64 Layout comment (Sv39 rows)", note="end addresses inclusive")
    def layout_comment(self) -> dict[str, CommentRow]:
        return {
            "xen": CommentRow("xen", 0xFFFFFFFFC0000000, 0xFFFFFFFFC0FFFFFF, 511),
            "fdt": CommentRow("fdt", 0xFFFFFFFFC1200000, 0xFFFFFFFFC15FFFFF, 511),
            "fixmap": CommentRow("fixmap", 0xFFFFFFFFC1800000, 0xFFFFFFFFC19FFFFF, 511),
            "directmap": CommentRow("directmap", 0x3200000000, 0x7F7FFFFFFF, 200, 509),
            "frametable": CommentRow("frametable", 0x30C0000000, 0x31BFFFFFFF, 195, 198),
            "vmap": CommentRow("vmap", 0x3040000000, 0x307FFFFFFF, 193),
        }

    @follows(FIXMAP_H, "FIXMAP_ADDR", note="map: unsigned int (32 bits by the contract); the sum wraps mod 2^64")
    def fixmap_addr(self, n: Word) -> Word:
        return self.layout().fixmap_base + (n << PAGE_SHIFT)

    # -- the state from which setup_fixmap_mappings runs -----------------------
    def boot_state(self) -> State:
        """After setup_initial_pagetables: root slot of XEN_VIRT_START -> the boot
        level-1 table, whose entries for the Xen image -> the boot level-0 tables."""
        lay = self.layout()
        top = self.ROOT_LEVEL
        base = bv(lay.xen_virt_start, 64)
        writes = [Write(TRUE, bv(self.geo.root, FRAME_BITS), vpn(base, top),
                        self.table_pte(BOOT_L1_FRAME))]
        for i in range(lay.xen_virt_size >> (PAGE_SHIFT + 9)):
            va = bv(lay.xen_virt_start + (i << (PAGE_SHIFT + 9)), 64)
            writes.append(Write(TRUE, bv(BOOT_L1_FRAME, FRAME_BITS), vpn(va, 1),
                                self.table_pte(BOOT_L0_FRAME + i)))
        # guarded writes in the log (not concrete cells), so symbolic reads work on it
        return replace(initial_state(self.geo), mem=Memory.zero()._copy(log=tuple(writes)))

    def table_pte(self, frame: int) -> Word:
        return self.pte_from_mfn(bv(frame, 64), PTE_TABLE)

    # -- mm.c ----------------------------------------------------------------
    @follows(MM_C, "setup_fixmap_mappings",
             note="BUG_ON halts the machine; RISCV_FENCE(rw, rw) + sfence_vma() end the step")
    def setup_fixmap_mappings(self, x: Exec, g: Bool) -> None:
        x.assert_(g, Bool(self.layout().fix_last < PAGETABLE_ENTRIES),
                  "setup_fixmap_mappings: BUILD_BUG_ON(FIX_LAST >= PAGETABLE_ENTRIES)")
        addr0 = self.fixmap_addr(bv(0, 64))
        table, idx = x.root, vpn(addr0, self.ROOT_LEVEL)
        for i in range(self.ROOT_LEVEL - 1, 0, -1):  # for ( i = HYP_PT_ROOT_LEVEL; i-- > 1; )
            entry = x.read(table, idx)
            x.assert_(g, self.pte_is_valid(entry), "setup_fixmap_mappings: BUG_ON(!pte_is_valid(*pte))")
            table, idx = self.mfn_from_pte(entry), vpn(addr0, i)
        entry = x.read(table, idx)
        x.assert_(g, ~self.pte_is_valid(entry), "setup_fixmap_mappings: BUG_ON(pte_is_valid(*pte))")
        x.write(g, table, idx, 1, self.table_pte(XEN_FIXMAP_FRAME), "setup_fixmap_mappings")
        x.set(g, tlb_stale=FALSE, rc=bv(0, 32))

    # -- pt.c ----------------------------------------------------------------
    @follows(PT_C_FIXMAP, "set_fixmap")
    def set_fixmap(self, map_: Word, mfn: Word, flags: Word):
        return self.map_pages_to_xen(self.fixmap_addr(map_), mfn, bv(1, 64), flags | PTE_SMALL)

    @follows(PT_C_FIXMAP, "clear_fixmap")
    def clear_fixmap(self, map_: Word):
        addr = self.fixmap_addr(map_)
        return self.destroy_xen_mappings(addr, addr + PAGE_SIZE)

    def wrapper(self, call: Call):
        ok, early, args = super().wrapper(call)
        for op, (o_ok, o_early, o_args) in ((OP_SET_FIXMAP, self.set_fixmap(*call.a[:3])),
                                            (OP_CLEAR_FIXMAP, self.clear_fixmap(call.a[0]))):
            sel = call.op == op
            ok, args = ite(sel, o_ok, ok), ite(sel, o_args, args)
            early = ite(sel, o_early if o_early is not None else bv(0, 32), early)
        return ok, early, args

    @follows(PT_C_FIXMAP, "set_fixmap / clear_fixmap: BUG() unless the call returns 0",
             note="setup_fixmap_mappings is a step of its own")
    def call_prologue(self, x: Exec, g: Bool, call: Call) -> None:
        setup = call.op == OP_SETUP_FIXMAP
        self.setup_fixmap_mappings(x, g & setup)
        super().call_prologue(x, g & ~setup, call)
        self.bug_unless_done(x, g & ~setup & (x.state.pc == PC_IDLE))

    @follows(PT_C_FIXMAP, "set_fixmap / clear_fixmap: BUG() when pt_update returns non-zero",
             note="pt_update's own epilogue (flush) runs first")
    def pt_update_epilogue(self, x: Exec, g: Bool, rc: Word) -> None:
        super().pt_update_epilogue(x, g, rc)
        self.bug_unless_done(x, g)

    def bug_unless_done(self, x: Exec, g: Bool) -> None:
        s = x.state
        fix_op = (s.op == OP_SET_FIXMAP) | (s.op == OP_CLEAR_FIXMAP)
        x.assert_(g & fix_op, s.rc == 0, "set_fixmap/clear_fixmap: BUG() on a non-zero rc")


V5_SEED = "seed 002 [PATCH v5 2/7] xen/riscv: set up fixmap mappings"


class RiscvFixmapV5(RiscvFixmapUpstream):
    name = "riscv-fixmap-v5"
    source = (f"{V5_SEED} (config.h, fixmap.h, mm.c as posted); set/clear_fixmap came later "
              "(df98c03864) and are driven as upstream defines them")

    @follows(f"{V5_SEED}: asm/config.h", "XEN_VIRT_SIZE MB(2), GAP_SIZE, BOOT_FDT_VIRT_*, FIXMAP_BASE",
             note="XEN_VIRT_START unchanged by the patch (0xFFFFFFFFC0000000 for Sv39)")
    def layout(self) -> Layout:
        return replace(super().layout(), xen_virt_size=2 * MB, slot_regions=(directmap(200, 509),))

    @follows(f"{V5_SEED}: asm/config.h", "RISC-V64 Layout comment and DIRECTMAP_SLOT_* (context lines)",
             note="end addresses exclusive; the frametable and VMAP rows are not in the seed's hunks")
    def layout_comment(self) -> dict[str, CommentRow]:
        return {
            "xen": CommentRow("xen", 0xFFFFFFFFC0000000, 0xFFFFFFFFC0200000 - 1, 511),
            "fdt": CommentRow("fdt", 0xFFFFFFFFC0400000, 0xFFFFFFFFC0800000 - 1, 511),
            "fixmap": CommentRow("fixmap", 0xFFFFFFFFC0A00000, 0xFFFFFFFFC0C00000 - 1, 511),
            "directmap": CommentRow("directmap", 0x3200000000, 0x7F40000000 - 1, 200, 509),
        }


