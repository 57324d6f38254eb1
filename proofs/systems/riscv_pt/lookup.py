"""`vmap-to-mfn`: what RISC-V's lookup returns is the translation the tables give.

`vmap_to_mfn(va)` (asm/mm.h) walks Xen's tables with `pt_walk` (pt.c: `_pt_walk`,
`pt_next_level(false, ...)` from the root), BUG_ONs when the entry it stops at is not
a mapping, and returns `maddr_to_mfn(pte_to_paddr(entry))` at the C's width.  The
claim: for every table memory and every address the MMU maps through a leaf (the
spec walk, `model.riscv.walk.translate`), it does not BUG and returns the frame the
address translates to.  A query over one arbitrary memory and address, one member
per version that has `pt_walk` (upstream; v9 and v5 have none); a counterexample is
re-run concretely on both walks before it is reported, and, when the version's pt.c is
at hand (`--xen-src`), on the compiled C: the C harness (`proofs/c/driver.c`) puts the
counterexample's entries in its tables and calls the tree's own `vmap_to_mfn` (asm/mm.h,
taken by `proofs/c_header.py`) on pt.c's `pt_walk`; a C that returns another frame than
the model's is a fidelity failure (the result is not reported as confirmed).
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Optional

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
    from proofs.systems.riscv_pt.refines import c_at_hand

    c_source = c_at_hand(v.name, settings)
    return [_member(v, level, c_source) for level in range(v.geo.levels)]


@lru_cache(maxsize=None)
def _harness(c_source: Path):
    """One compiled harness per pt.c and process (its files under the worker pool's
    directory; this process's removed at exit)."""
    import atexit

    from proofs.c_harness import Harness

    h = Harness(str(c_source))
    atexit.register(h.close)
    return h


def on_c(c_source: Path, version: str, root: int, cells: dict, va: int) -> dict:
    """The compiled pt.c's `vmap_to_mfn(va)` over these table entries: {"vmap_to_mfn": hex}
    or {"bug_on": what stopped it}, or {"error": why it did not run}."""
    from proofs.c_harness import RUN_SECONDS, run_driver

    h = _harness(c_source)
    lines = [f"root {root:x}", *(f"cell {f:x} {i:x} {e:x}" for (f, i), e in sorted(cells.items()) if e),
             f"call vmap_to_mfn {va:x} 0 0 0"]
    got = run_driver(h.binary(version), lines, h.tmp / "lookup.txt", RUN_SECONDS)
    if "error" in got:
        return got
    call = got["calls"][0] if got["calls"] else {}
    if call.get("failed"):
        return {"bug_on": call["failed"]}
    if "value" not in call:
        return {"error": "the tree's asm/mm.h defines no vmap_to_mfn the harness could call"}
    return {"vmap_to_mfn": call["value"]}


def _member(v, level: int, c_source: Optional[Path] = None) -> Member:
    mem, va = Memory.arbitrary(f"lookup.M{level}"), sym_word(f"lookup.va{level}", 64)
    mapped, bug, mfn, ppn, leaf = lookup(v, mem, va)
    domain, holds = mapped & (leaf == level), ~bug & (mfn == ppn)

    def read(model) -> dict:
        cells, vac = mem.cells_read(model), int(evaluate(va, model))
        if not _breaks(v, cells, vac, level):
            raise ReplayError(f"vmap-to-mfn: the solver's address {vac:#x} does not reproduce")
        cells, vac = _shrink(v, cells, vac, level)
        _, bug, mfn, ppn, _ = lookup(v, _memory(cells), bv(vac, 64))
        out = {"va": hex(vac), "leaf_level": level,
               "entries": {f"{f:#x}[{i}]": hex(e) for (f, i), e in sorted(cells.items()) if e},
               "bug_on": bool(bug), "vmap_to_mfn": hex(int(mfn)), "translation_mfn": hex(int(ppn))}
        if c_source is not None:
            c = on_c(c_source, v.name, v.geo.root, cells, vac)
            if "error" in c:
                raise ReplayError(f"vmap-to-mfn: the counterexample does not run on {c_source}: {c['error']}")
            if bool(bug) != ("bug_on" in c) or (not bug and int(c["vmap_to_mfn"], 16) != int(mfn)):
                raise ReplayError(f"vmap-to-mfn: the compiled {c_source} gives {c} where the model gives "
                                  f"{'BUG_ON' if bool(bug) else hex(int(mfn))} (a fidelity failure)")
            out["on_c"] = {"c_source": str(c_source), **c, "agrees_with_model": True}
        return out

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
