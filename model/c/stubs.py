"""The undefined functions pt.c calls through `proofs/c/ptprove_shim.h`, as the model sees them.

The shim leaves five functions to its driver: the frame accessor, the two page
allocators, the CSR read and `longjmp` (ASSERT/BUG).  Here each gets the meaning
the model gives the same event: a frame is page-table memory (`model.memory`),
`alloc_domheap_page` hands out the pool's next page or fails when the pool is
used up (`model.riscv.machine.Exec.alloc`: failure is symbolic, as the pool's
fill level is), satp holds the root, and `longjmp` ends the path as a stop with
the failed condition's text.  Fences and TLB flushes are the shim's own inline
code (counters and the stale flag, globals of the C) and need no stub.
"""
from __future__ import annotations

from dataclasses import dataclass

from model.c.execute import NULL, Executor, Path, Ptr, Stop, ite_value
from model.c.ir import UnsupportedIR
from model.memory import FRAME_BITS
from model.term import Word, bv, ite

CSR_SATP = 0x180
SATP_MODE_SV39 = 8
NEXT_FREE = "next_free"  # ghost key: pool pages handed out (8 bits, as machine.State)


@dataclass(frozen=True)
class XenEnv:
    """The environment: satp's root frame and the table-page pool."""

    root: int
    pool_base: int
    pool: int

    def call(self, ex: Executor, path: Path, name: str, args: list, what: str) -> object:
        handler = getattr(self, "_" + name, None)
        if handler is None:
            raise UnsupportedIR(f"{what}: call to {name}, which has no definition and no stub")
        return handler(ex, path, args, what)

    def _ptprove_frame(self, ex: Executor, path: Path, args: list, what: str) -> Ptr:
        mfn = args[0]
        ex.assume(path, (mfn >> FRAME_BITS) == 0,
                  f"a frame the C maps has a {FRAME_BITS}-bit number (PTE bits 63:54 of a table pointer are 0)")
        return Ptr("frame", mfn, bv(0, 64))

    def _ptprove_unmap(self, ex: Executor, path: Path, args: list, what: str) -> None:
        """unmap_domain_page / pmap_unmap: the mapping is released (the ghost counts it)."""
        return None

    def _alloc_domheap_page(self, ex: Executor, path: Path, args: list, what: str) -> Ptr:
        n = path.ghost[NEXT_FREE]
        ok = n < self.pool
        frame = n.zext(64) + self.pool_base
        page = ex.new_object(path, "struct page_info (alloc_domheap_page)", {0: frame})
        path.ghost[NEXT_FREE] = ite(ok, n + 1, n)
        return ite_value(ok, page, NULL, what)

    def _alloc_boot_pages(self, ex: Executor, path: Path, args: list, what: str):
        raise Stop("alloc_boot_pages (early boot is not modelled)")

    def _ptprove_csr_read(self, ex: Executor, path: Path, args: list, what: str) -> Word:
        csr = args[0]
        if not csr.is_concrete:
            raise UnsupportedIR(f"{what}: a CSR read of a symbolic CSR number")
        return bv((SATP_MODE_SV39 << 60) | self.root if csr.v == CSR_SATP else 0, 64)

    def _longjmp(self, ex: Executor, path: Path, args: list, what: str):
        failed = path.objs.get(ex.global_ids.get("ptprove_failed", -1), {}).get(0)
        text = "ASSERT/BUG"
        if isinstance(failed, Ptr) and failed.region == "obj":
            text = ex.m.strings.get(ex.objects.get(failed.base, "").lstrip("@"), text)
        raise Stop(text)
