"""`vmap-to-mfn`: what RISC-V's lookup returns is the translation the tables give.

`vmap_to_mfn(va)` (asm/mm.h) walks Xen's tables with `pt_walk` (pt.c: `_pt_walk`,
`pt_next_level(false, ...)` from the root), BUG_ONs when the entry it stops at is not
a mapping, and returns `maddr_to_mfn(pte_to_paddr(entry))` at the C's width.  The
claim: for every table memory and every address the MMU maps through a leaf (the
spec walk, `model.riscv.walk.translate`), it does not BUG and returns the frame the
address translates to.  A query over one arbitrary memory and address, one member
per version that has `pt_walk` (upstream; v9 and v5 have none); a counterexample is
re-run concretely on both walks before it is reported.
"""
from __future__ import annotations

from dataclasses import replace

from model.memory import Memory
from model.riscv.machine import Exec
from model.term import TRUE, Bool, Word, bv, evaluate, sym_word
from proofs.engine.decide import standard_decide
from proofs.engine.obligation import Member, Query
from proofs.engine.step import ReplayError
from proofs.systems.riscv_pt.machine import geometry
from proofs.systems.shared import arbitrary_state
from proofs.systems.walk import View


def lookup(v, mem: Memory, va: Word) -> tuple[Bool, Bool, Word, Word, Word]:
    """(the MMU maps `va` through a leaf and Xen's walk ends without an ASSERT, BUG_ON
    fires, vmap_to_mfn's MFN, the MMU's frame for `va` (both 64 bits wide), the leaf's level)."""
    x = Exec(v.geo, replace(arbitrary_state(v.geo, bv(0, 3)), mem=mem))
    bug, mfn = v.vmap_to_mfn(x, TRUE, va)
    t = View(v, None, va).translate(x.state)  # type: ignore[arg-type]
    return t.ok & ~x.halted, bug, mfn, t.ppn.zext(64), t.level


def claim(v, mem: Memory, va: Word) -> tuple[Bool, Bool]:
    """(domain, claim) of `vmap-to-mfn`."""
    mapped, bug, mfn, ppn, _ = lookup(v, mem, va)
    return mapped, ~bug & (mfn == ppn)


def members(cls, settings) -> list[Member]:
    """One member per level of the leaf the MMU finds (a 4K page, each superpage size)."""
    if not getattr(cls, "HAS_PT_WALK", False) or getattr(cls, "spec", None) is not None:
        return []
    v = cls(geometry(settings))
    return [_member(v, level) for level in range(v.geo.levels)]


def _member(v, level: int) -> Member:
    mem, va = Memory.arbitrary(f"lookup.M{level}"), sym_word(f"lookup.va{level}", 64)
    mapped, bug, mfn, ppn, leaf = lookup(v, mem, va)
    domain, holds = mapped & (leaf == level), ~bug & (mfn == ppn)

    def read(model) -> dict:
        cells, vac = mem.cells_read(model), int(evaluate(va, model))
        if not _breaks(v, cells, vac, level):
            raise ReplayError(f"vmap-to-mfn: the solver's address {vac:#x} does not reproduce")
        cells, vac = _shrink(v, cells, vac, level)
        _, bug, mfn, ppn, _ = lookup(v, _memory(cells), bv(vac, 64))
        return {"va": hex(vac), "leaf_level": level,
                "entries": {f"{f:#x}[{i}]": hex(e) for (f, i), e in sorted(cells.items()) if e},
                "bug_on": bool(bug), "vmap_to_mfn": hex(int(mfn)), "translation_mfn": hex(int(ppn))}

    return Member(f"level-{level}", {"mode": v.geo.mode.name, "leaf_level": level}, lambda: (domain, holds),
                  standard_decide(domain, holds, read, refuted_detail="an address whose vmap_to_mfn is not "
                                  "its translation (re-run on both walks)"), name=f"level-{level}")


def _memory(cells: dict) -> Memory:
    mem = Memory.zero()
    for (f, i), e in sorted(cells.items()):
        mem = mem.write(TRUE, bv(f, 44), bv(i, 9), bv(e, 64))
    return mem


def _breaks(v, cells: dict, va: int, level: int) -> bool:
    mapped, bug, mfn, ppn, leaf = lookup(v, _memory(cells), bv(va, 64))
    return bool(mapped) and int(leaf) == level and (bool(bug) or int(mfn) != int(ppn))


def _shrink(v, cells: dict, va: int, level: int) -> tuple[dict, int]:
    """The counterexample with bits cleared, highest first (the address, then each entry),
    while it still breaks the claim: what is shown does not depend on the solver's model."""
    for bit in reversed(range(64)):
        if va >> bit & 1 and _breaks(v, cells, va & ~(1 << bit), level):
            va &= ~(1 << bit)
    for key in sorted(cells):
        for bit in reversed(range(64)):
            if cells[key] >> bit & 1 and _breaks(v, {**cells, key: cells[key] & ~(1 << bit)}, va, level):
                cells = {**cells, key: cells[key] & ~(1 << bit)}
    return cells, va


#: a lifted pt.c version (`--lifted-c`) lifts pt_update's entry points, not pt_walk and
#: asm/mm.h: it does not decide the lookup (its base's expectation is not inherited)
NOT_LIFTED = ("vmap-to-mfn",)

VMAP_TO_MFN = Query("vmap-to-mfn", "vmap_to_mfn(va) (pt_walk, then pte_to_paddr at the C's width) does not "
                    "BUG and is the frame the MMU translates va to, for every va the tables map through a leaf",
                    members, cites=claim)
