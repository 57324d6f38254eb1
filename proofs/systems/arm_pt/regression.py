"""Regression vectors for Arm's mmu/pt.c: one scenario per entry point and outcome
at the boundaries (4K pages, 2M and 1G blocks with `_PAGE_BLOCK`, a contiguous
group of 16, an unaligned address, W+X, a valid entry or a block in the way, a
contiguous group that fails part way, an exhausted table allocator, destroy,
modify and populate cases, the entry points' ASSERTs).

The model decides each scenario's return codes and final tables; the vector
records them, so the compiled pt.c (`ptprove replay --xen-src`) or a later
model change that behaves differently is caught.  Names say the scenario and
the outcome the model predicts for the version, e.g. `map-2m-block-ok`,
`destroy-2m-block-eopnotsupp`.
"""
from __future__ import annotations

from model.arm.pt import (
    _PAGE_BLOCK,
    _PAGE_PRESENT,
    PAGE_HYPERVISOR_NOCACHE,
    PAGE_HYPERVISOR_RO,
    PAGE_HYPERVISOR_RW,
    PAGE_HYPERVISOR_RX,
)
from model.riscv.machine import OP_MODIFY
from proofs.engine.obligation import where as where_of
from proofs.systems.arm_pt.machine import machine
from proofs.systems.trace_vectors import ConcreteCall, build, outcome, destroy, map_, populate

PAGE = 0x1000
GIB = 0x4000_0000
VA = GIB + 0x20_0000  # 2 MiB aligned, not 1 GiB aligned
MFN = 0x80200  # 2 MiB aligned frame
RW, RO, RX, BLOCK = PAGE_HYPERVISOR_RW, PAGE_HYPERVISOR_RO, PAGE_HYPERVISOR_RX, _PAGE_BLOCK
WX_REQUEST = _PAGE_PRESENT | 0x7  # _PAGE_NORMAL: neither RO nor XN


def modify(s: int, e: int, nf: int) -> ConcreteCall:
    return ConcreteCall(OP_MODIFY, (s, e, nf, 0))


#: (scenario, what it pins down, calls)
SCENARIOS: tuple[tuple[str, str, list[ConcreteCall]], ...] = (
    ("map-4k", "map one 4 KiB page", [map_(VA, MFN, 1, RW)]),
    ("map-2-pages", "map 2 pages without _PAGE_BLOCK: level-3 pages, no contiguous hint",
     [map_(VA, MFN, 2, RW)]),
    ("map-2m-block", "map 512 pages with _PAGE_BLOCK, virt and mfn 2 MiB aligned: one level-2 block",
     [map_(VA, MFN, 512, RW | BLOCK)]),
    ("map-1g-block", "map 1 GiB with _PAGE_BLOCK, virt and mfn 1 GiB aligned: one level-1 block",
     [map_(GIB, 0x80000, 0x40000, RX | BLOCK)]),
    ("map-2m-plus-4k", "map 513 pages with _PAGE_BLOCK: a block, then a 4 KiB page",
     [map_(VA, MFN, 513, RW | BLOCK)]),
    ("map-contig-16", "map 16 aligned pages with _PAGE_BLOCK: one contiguous group (the contig bit)",
     [map_(VA, MFN, 16, RW | BLOCK)]),
    ("map-contig-fails-part-way", "a contiguous group whose last entry is mapped already: -EINVAL "
     "with the first 15 written contiguous", [map_(VA + 15 * PAGE, MFN + 15, 1, RW), map_(VA, MFN, 16, RW | BLOCK)]),
    ("map-unaligned-virt", "a virtual address that is not page aligned", [map_(VA + 0x800, MFN, 1, RW)]),
    ("map-wx", "a writable and executable request", [map_(VA, MFN, 1, WX_REQUEST)]),
    ("map-over-valid", "map the same page twice", [map_(VA, MFN, 1, RW), map_(VA, MFN + 1, 1, RW)]),
    ("map-inside-2m-block", "map 4 KiB inside a 2 MiB block",
     [map_(VA, MFN, 512, RW | BLOCK), map_(VA + PAGE, MFN, 1, RO)]),
    ("map-pool-exhausted", "a second 512 GiB region needs three more table pages than the pool has",
     [map_(0, MFN, 1, RW), map_(512 * GIB, MFN, 1, RW)]),
    ("destroy-4k", "destroy a mapped 4 KiB page", [map_(VA, MFN, 1, RW), destroy(VA, VA + PAGE)]),
    ("destroy-2m-block", "destroy a whole 2 MiB block (destroy_xen_mappings passes no _PAGE_BLOCK)",
     [map_(VA, MFN, 512, RW | BLOCK), destroy(VA, VA + 512 * PAGE)]),
    ("destroy-unmapped", "destroy a page no table reaches", [destroy(VA, VA + PAGE)]),
    ("destroy-contig", "destroy one entry of a contiguous group",
     [map_(VA, MFN, 16, RW | BLOCK), destroy(VA, VA + PAGE)]),
    ("destroy-empty-range", "s == e", [destroy(VA, VA)]),
    ("destroy-unaligned", "an unaligned s", [destroy(VA + 0x800, VA + PAGE)]),
    ("modify-rw-to-ro", "make a mapped page read-only", [map_(VA, MFN, 1, RW), modify(VA, VA + PAGE, RO)]),
    ("modify-unmapped", "modify a page that is not mapped",
     [map_(VA, MFN, 1, RW), modify(VA + PAGE, VA + 2 * PAGE, RO)]),
    ("modify-wx", "modify to writable and executable", [map_(VA, MFN, 1, RW), modify(VA, VA + PAGE, WX_REQUEST)]),
    ("modify-attrs", "modify to another memory type (AttrIndx)",
     [map_(VA, MFN, 1, RW), modify(VA, VA + PAGE, PAGE_HYPERVISOR_NOCACHE)]),
    ("modify-contig", "modify one entry of a contiguous group",
     [map_(VA, MFN, 16, RW | BLOCK), modify(VA, VA + PAGE, RO)]),
    ("populate-4k", "populate the tables for one page", [populate(VA, 1)]),
    ("populate-2-pages", "populate the tables of two pages, then map them", [populate(VA, 2), map_(VA, MFN, 2, RW)]),
)


def vectors(version: str, settings) -> list[dict]:
    m = machine(version, settings)
    where = where_of(vectors)
    out = []
    for name, statement, calls in SCENARIOS:
        vec = build(m.v, None, calls, 0, m.bounds(), "none (concrete model)", regression=(name, statement, where))
        vec["name"] = f"{name}-{outcome(vec['calls'][-1]['rc'])}"
        out.append(vec)
    return out
