"""Regression vectors for p2m.c: one scenario per call shape and outcome at the
boundaries (4K / 2M / 1G leaves, a superpage split, a split whose allocation
fails, an exhausted pool, removing what is and is not mapped, foreign pages).

On the bounded geometry every p2m result of the version states (Sv39x4, 2
entries per table, a pool of 2 pages, 3 with metadata pages:
`proofs/systems/p2m/machine.py`), so gfns and mfns are
small: a "2M" leaf spans 2 frames.  The model decides each scenario's return
codes and final tree; the vector records them, so p2m.c (`ptprove replay
--c-source p2m.c` / `--xen-src`) or a later model change that behaves
differently is caught.  Names say the scenario and the outcome, e.g. `map-2m-ok`,
`range-fails-part-way-1-left` (RISC-V's map_regions_p2mt returns the frames left; Arm's the errno).
"""
from __future__ import annotations

from model.riscv.p2m_state import INVALID_MFN
from proofs.engine.obligation import where as where_of
from proofs.systems.p2m.vectors import ConcreteCall, build, machine_of

MFN = 0x40  # aligned for every leaf size of the bounded geometry


def vectors(version: str, settings) -> list[dict]:
    mach = machine_of(version)
    m = mach.m
    ram, mmio = m.RAM_RW, m.MMIO_DIRECT_IO
    foreign = m.FOREIGN_RW if m.FOREIGN_RW in m.types() else None
    s = lambda target, gfn, mfn, t, *fails: ConcreteCall(target, gfn, mfn, t, tuple(fails))  # noqa: E731
    scenarios = [
        ("map-4k", "map one 4K frame", [s(0, 0x4, MFN, ram)]),
        ("map-2m", "map one level-1 leaf", [s(1, 0x4, MFN, ram)]),
        ("map-1g", "map one level-2 leaf", [s(2, 0x4, MFN, mmio)]),
        ("remove-unmapped", "remove a frame nothing maps (no table is allocated)", [s(0, 0x4, INVALID_MFN, 0)]),
        ("remove-4k", "map a frame, then remove it", [s(0, 0x4, MFN, ram), s(0, 0x4, INVALID_MFN, 0)]),
        ("remap-4k", "map a frame twice, the second time to another mfn",
         [s(0, 0x4, MFN, ram), s(0, 0x4, MFN + 1, mmio)]),
        ("split-2m", "map 4K inside a level-1 leaf: the superpage is split",
         [s(1, 0x4, MFN, ram), s(0, 0x5, MFN + 8, mmio)]),
        ("split-alloc-fails", "the split's page allocation fails",
         [s(1, 0x4, MFN, ram), s(0, 0x5, MFN + 8, mmio, True)]),
        ("table-alloc-fails", "the first intermediate table cannot be allocated",
         [s(0, 0x4, MFN, ram, True)]),
        ("pool-exhausted", "a second root entry needs two more tables than the pool has",
         [s(0, 0x4, MFN, ram), s(0, 0x8, MFN, ram)]),
        ("replace-table-by-1g", "a level-2 leaf over a subtree: the subtree is freed",
         [s(0, 0x4, MFN, ram), s(2, 0x4, MFN, ram)]),
    ]
    r = lambda gfn, nr, mfn, t, *fails: ConcreteCall(0, gfn, mfn, t, tuple(fails), nr=nr)  # noqa: E731
    if m.arch == "arm":  # Arm's p2m_set_entry: nr is in the order mask, and it returns the errno
        scenarios += [
            ("range-2m", "map_regions_p2mt of 2 frames, gfn, mfn and nr aligned: one level-1 leaf",
             [r(0x4, 2, MFN, ram)]),
            ("range-3-frames-4k-by-4k", "map_regions_p2mt of 3 frames: nr is odd, so p2m_set_entry "
             "maps 4K by 4K and the third frame needs a table the pool has not",
             [r(0x4, 3, MFN, ram)]),
            ("range-unaligned-mfn", "map_regions_p2mt of 2 frames at an odd mfn: two 4K leaves",
             [r(0x4, 2, MFN + 1, ram)]),
            ("range-fails-part-way", "map_regions_p2mt of 2 frames across two root entries: the "
             "first takes the whole pool, the second __p2m_set_entry cannot allocate its table and "
             "map_regions_p2mt returns its errno (the first frame stays mapped)",
             [r(0x3, 2, MFN, ram)]),
        ]
    else:
        scenarios += [
            ("range-2m-plus-4k", "map_regions_p2mt of 3 frames, gfn and mfn aligned: a level-1 leaf "
             "(p2m_mapping_order), then a 4K one", [r(0x4, 3, MFN, ram)]),
            ("range-unaligned-mfn", "map_regions_p2mt of 2 frames at an odd mfn: two 4K leaves",
             [r(0x4, 2, MFN + 1, ram)]),
            ("range-fails-part-way", "the second p2m_set_entry of a range cannot allocate its table: "
             "map_regions_p2mt returns the frames left, not an errno", [r(0x6, 3, MFN, ram, False, True)]),
        ]
    if foreign is not None:
        scenarios += [
            ("foreign-4k", "map a foreign frame (the caller holds a reference)",
             [s(0, 0x4, MFN, foreign)]),
            ("foreign-removed", "map a foreign frame, then remove it (its reference is put)",
             [s(0, 0x4, MFN, foreign), s(0, 0x4, INVALID_MFN, 0)]),
            ("foreign-replaced-by-ram", "a foreign leaf replaced by RAM at another frame: the "
             "last external slot cleared frees the metadata page, then freeing the old leaf reads "
             "its type from it", [s(0, 0x4, MFN, foreign), s(0, 0x4, MFN + 1, ram)]),
            ("replace-foreign-by-1g", "a level-2 leaf over a subtree with a foreign leaf: the "
             "tables and the metadata page go back to the pool", [s(0, 0x4, MFN, foreign), s(2, 0x4, MFN, ram)]),
            ("foreign-2m-split", "map 4K inside a foreign level-1 leaf: the split takes the pool's "
             "last page, none is left for the new table's metadata page (domain_crash)",
             [s(1, 0x4, MFN, foreign), s(0, 0x5, MFN + 8, ram)]),
        ]
    where = where_of(vectors)
    out = []
    for name, statement, calls in scenarios:
        v = build(mach, None, None, calls, MFN, 0, mach.bounds(), "none (concrete model)",
                  regression=(name, statement, where))
        rc, value = v["calls"][-1]["rc"], v["calls"][-1]["rc_value"]
        outcome = "ok" if value == 0 else f"{value}-left" if value > 0 else rc.lstrip("-").lower()
        v["name"] = f"{name}-{outcome}"
        out.append(v)
    return out
