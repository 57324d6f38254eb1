"""Regression vectors for pt.c: one scenario per operation and outcome at the
boundaries (superpage sizes, alignment, W+X, a valid entry in the way, a
superpage in the way, an exhausted table allocator).

The model decides each scenario's return codes and final tables; the vector
records them, so a C build (`ptprove replay --c-source`) or a later model
change that behaves differently is caught.  Names say the scenario and the
outcome the model predicts for this version, e.g. `map-2m-ok`,
`destroy-inside-2m-eopnotsupp`.
"""
from __future__ import annotations

from model.riscv.machine import OP_MODIFY
from model.riscv.pte import PAGE_HYPERVISOR_RO, PAGE_HYPERVISOR_RW, PAGE_HYPERVISOR_RX, PTE_SMALL
from proofs.systems.riscv_pt.contract import WX_REQUEST
from proofs.systems.riscv_pt.trace import ConcreteCall
from proofs.engine.obligation import where as where_of
from proofs.systems.riscv_pt import machine as rvm
from proofs.systems.riscv_pt.vectors import build, outcome, destroy, map_, populate

PAGE = 0x1000
GIB = 0x4000_0000
VA = GIB + 0x20_0000  # 2 MiB aligned, not 1 GiB aligned
MFN = 0x80200  # 2 MiB aligned frame
RW, RO, RX = PAGE_HYPERVISOR_RW, PAGE_HYPERVISOR_RO, PAGE_HYPERVISOR_RX


def modify(virt: int, nr: int, flags: int) -> ConcreteCall:
    return ConcreteCall(OP_MODIFY, (virt, nr, flags, 0))


#: (scenario, what it pins down, calls)
SCENARIOS: tuple[tuple[str, str, list[ConcreteCall]], ...] = (
    ("map-4k", "map one 4 KiB page", [map_(VA, MFN, 1, RW)]),
    ("map-2m", "map 512 pages, virt and mfn 2 MiB aligned: one level-1 superpage", [map_(VA, MFN, 512, RW)]),
    ("map-1g", "map 1 GiB, virt and mfn 1 GiB aligned: one root-level superpage",
     [map_(GIB, 0x80000, 0x40000, RX)]),
    ("map-2m-plus-4k", "map 513 pages: a superpage, then a 4 KiB page", [map_(VA, MFN, 513, RW)]),
    ("map-small", "PTE_SMALL forces 4 KiB pages on an aligned range", [map_(VA, MFN, 2, RW | PTE_SMALL)]),
    ("map-unaligned-virt", "a virtual address that is not page aligned", [map_(VA + 0x800, MFN, 1, RW)]),
    ("map-wx", "a writable and executable request", [map_(VA, MFN, 1, WX_REQUEST)]),
    ("map-over-valid", "map the same page twice", [map_(VA, MFN, 1, RW), map_(VA, MFN + 1, 1, RW)]),
    ("map-inside-2m", "map 4 KiB inside a 2 MiB superpage",
     [map_(VA, MFN, 512, RW), map_(VA + PAGE, MFN, 1, RO)]),
    ("map-pool-exhausted", "a third 1 GiB region needs two more table pages than the pool has",
     [map_(0, MFN, 1, RW), map_(GIB, MFN, 1, RW), map_(2 * GIB, MFN, 1, RW)]),
    ("destroy-4k", "destroy a mapped 4 KiB page", [map_(VA, MFN, 1, RW), destroy(VA, VA + PAGE)]),
    ("destroy-2m", "destroy a whole 2 MiB superpage", [map_(VA, MFN, 512, RW), destroy(VA, VA + 512 * PAGE)]),
    ("destroy-inside-2m", "destroy 4 KiB inside a 2 MiB superpage",
     [map_(VA, MFN, 512, RW), destroy(VA + PAGE, VA + 2 * PAGE)]),
    ("destroy-empty-range", "s == e", [destroy(VA, VA)]),
    ("modify-rw-to-ro", "make a mapped page read-only", [map_(VA, MFN, 1, RW), modify(VA, 1, RO)]),
    ("modify-unmapped", "modify a page that is not mapped", [map_(VA, MFN, 1, RW), modify(VA + PAGE, 1, RO)]),
    ("modify-wx", "modify to writable and executable", [map_(VA, MFN, 1, RW), modify(VA, 1, WX_REQUEST)]),
    ("populate-2m", "populate the level-0 table of a 2 MiB range (PTE_SMALL is not passed)",
     [populate(VA, 512)]),
    ("populate-4k", "populate the tables for one page", [populate(VA, 1)]),
)


def _outcome(rc: str) -> str:
    """The rc as a file name: ok, einval, enomem, ..., assert, no-return.

    The same names arm-pt's and the fixmap's scenarios
    take: `outcome` of proofs/systems/trace_vectors.py,
    which this is."""
    return outcome(rc)


def vectors(version: str, settings) -> list[dict]:
    v = rvm.version(version, settings)
    where = where_of(vectors)
    out = []
    for name, statement, calls in SCENARIOS:
        vec = build(v, None, calls, 0, rvm.bounds(settings), "none (concrete model)",
                    regression=(name, statement, where))
        vec["name"] = f"{name}-{_outcome(vec['calls'][-1]['rc'])}"
        out.append(vec)
    return out
