"""The undefined functions p2m.c calls through `proofs/c/ptprove_p2m_shim.h`, as the p2m model sees them.

Where pt.c's environment (`model.c.stubs`) has frames and one allocator, p2m.c also
keeps `struct page_info` per frame.  Here a page_info is a record pointer (region
"record", base: the frame number, `pg++` a byte offset of whole records) and its
fields are what `model.riscv.p2m_state.P2MState` keeps of them, in the path's ghost
state: per modelled table page (frames PT_FRAME_BASE + k, the model's numbering) its
metadata page `v.md.pg` (NO_MD: NULL) and `u.md.used_entries`, per pool page whether
it is free, and the references on the one watched frame.  The page_list's `listed`
flag is written by p2m.c and read by no code of it: a store to it is dropped.

The functions: `paging_alloc_page` hands out the first free pool page unless the
k-th attempt of the call fails (the model's `Oracle`: the same Bools), and
`paging_free_page` puts it back; `put_page` drops a reference; `domain_crash`,
`__map_domain_page(NULL)` (p2m_get_type on a page without a metadata page: the
harness stops there, the model flags it) and `sbi_remote_hfence_gvma` are noted in
the ghost state; a release build's failed ASSERT (`ptprove_note`) goes on, as the
model (which compiles ASSERTs out) does; the hart has Svade, as the model's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from model.c.execute import NULL, Executor, Path, Ptr, Stop, ite_value
from model.c.ir import UnsupportedIR
from model.memory import FRAME_BITS
from model.riscv.p2m_state import NO_MD, PT_FRAME_BASE, ROOT_PAGES
from model.term import FALSE, TRUE, Bool, Word, any_of, bv, ite

#: ghost keys
REFS, ATTEMPTS, CRASH, MD_NULL, HFENCES = "refs", "alloc_attempts", "domain_crash", "md_null", "hfences"
OOB = "reads_past_table"  # a frame word read at or past PAGETABLE_ENTRIES (see TableBounds)


def md_key(page: int) -> str:
    return f"md_pg{page}"


def used_key(page: int) -> str:
    return f"used{page}"


def free_key(page: int) -> str:
    return f"free{page}"


def frame_of(page: Word) -> Word:
    """The 64-bit frame number of table page `page` (16-bit)."""
    return page.zext(64) + PT_FRAME_BASE


@dataclass(frozen=True)
class P2MEnv:
    """The environment of one run: how many table pages are modelled, the watched
    frame, whether each allocation attempt of the call fails, and struct page_info's
    layout as the compiler made it (its size; byte offset -> field: "mfn", "listed",
    "used_entries", "md_pg")."""

    pages: int
    watch: Word  # 64-bit
    fails: Sequence[Bool]
    page_info_size: int
    fields: dict

    def call(self, ex: Executor, path: Path, name: str, args: list, what: str) -> object:
        handler = getattr(self, "_" + name, None)
        if handler is None:
            raise UnsupportedIR(f"{what}: call to {name}, which has no definition and no stub")
        return handler(ex, path, args, what)

    # -- records: struct page_info -------------------------------------------
    def _element(self, ex: Executor, p: Ptr, what: str) -> tuple[Word, str]:
        if not p.off.is_concrete:
            raise UnsupportedIR(f"{what}: a symbolic offset into a struct page_info")
        k, off = divmod(p.off.v, self.page_info_size)
        if off not in self.fields:
            raise UnsupportedIR(f"{what}: page_info at byte {off}, a field the model does not keep")
        return p.base + k, self.fields[off]

    def _table_page(self, ex: Executor, path: Path, frame: Word, what: str) -> list[tuple[Bool, int]]:
        """(frame is table page p, p) for every modelled page; the access must hit one."""
        hits = [(frame == PT_FRAME_BASE + q, q) for q in range(self.pages)]
        ex.require(path, any_of(h for h, _ in hits), f"the struct page_info of a modelled table page ({what})")
        return hits

    def record_load(self, ex: Executor, path: Path, p: Ptr, ty: str, what: str) -> object:
        frame, name = self._element(ex, p, what)
        if name == "mfn":
            return frame
        if name in ("used_entries", "md_pg"):
            key = used_key if name == "used_entries" else md_key
            hits = self._table_page(ex, path, frame, what)
            v = path.ghost[key(hits[-1][1])]
            for h, q in reversed(hits[:-1]):
                v = ite(h, path.ghost[key(q)], v)
            if name == "used_entries":
                return v
            return Ptr("record", frame_of(v), bv(0, 64), v == NO_MD)
        raise UnsupportedIR(f"{what}: p2m.c reads page_info.{name}, which the model does not keep")

    def record_store(self, ex: Executor, path: Path, p: Ptr, value: object, ty: str, what: str) -> None:
        frame, name = self._element(ex, p, what)
        if name == "listed":
            return  # write-only for p2m.c (page_list_add/del)
        if name not in ("used_entries", "md_pg"):
            raise UnsupportedIR(f"{what}: p2m.c writes page_info.{name}, which the model does not keep")
        if name == "md_pg":
            if not isinstance(value, Ptr) or value.region not in ("record", "null"):
                raise UnsupportedIR(f"{what}: v.md.pg set to something other than a page")
            value = bv(NO_MD, 16) if value.region == "null" else \
                ite(value.null, bv(NO_MD, 16), (value.base - PT_FRAME_BASE).trunc(16))
        key = used_key if name == "used_entries" else md_key
        for h, q in self._table_page(ex, path, frame, what):
            path.ghost[key(q)] = ite(h, value, path.ghost[key(q)])

    # -- frames and pages -------------------------------------------------------
    def _ptprove_frame(self, ex: Executor, path: Path, args: list, what: str) -> Ptr:
        mfn = args[0]
        ex.assume(path, (mfn >> FRAME_BITS) == 0,
                  f"a frame the C maps has a {FRAME_BITS}-bit number (PTE bits 63:54 of a table pointer are 0)")
        return Ptr("frame", mfn, bv(0, 64))

    def _ptprove_page(self, ex: Executor, path: Path, args: list, what: str) -> Ptr:
        return Ptr("record", args[0], bv(0, 64))

    def _ptprove_map_page(self, ex: Executor, path: Path, args: list, what: str) -> Ptr:
        pg = args[0]
        if not isinstance(pg, Ptr) or pg.region not in ("record", "null"):
            raise UnsupportedIR(f"{what}: __map_domain_page of something other than a page")
        path.ghost[MD_NULL] = path.ghost[MD_NULL] | pg.is_null
        if pg.region == "null":
            return Ptr("frame", bv(0, 64), bv(0, 64))  # the harness stops here; the claims ask ~md_null
        return self._ptprove_frame(ex, path, [self._record_frame(ex, path, pg, what)], what)

    def _record_frame(self, ex: Executor, path: Path, pg: Ptr, what: str) -> Word:
        """The frame of a page_info pointer `base + k` (p2m_get_root_pointer's `p2m->root +
        idx`: a symbolic k, one of the modelled pages past base)."""
        if pg.off.is_concrete:
            k, rest = divmod(pg.off.v, self.page_info_size)
            ex.require(path, bv(rest, 64) == 0, f"__map_domain_page of a whole page_info ({what})")
            return pg.base + k
        ks = [(pg.off == k * self.page_info_size, k) for k in range(self.pages)]
        ex.require(path, any_of(h for h, _ in ks), f"__map_domain_page of a whole, modelled page_info ({what})")
        frame = pg.base
        for h, k in ks[1:]:
            frame = ite(h, pg.base + k, frame)
        return frame

    def _ptprove_frame_of(self, ex: Executor, path: Path, args: list, what: str) -> Word:
        """domain_page_map_to_mfn(va): the frame a mapping is of."""
        va = args[0]
        if not isinstance(va, Ptr) or va.region != "frame":
            raise UnsupportedIR(f"{what}: domain_page_map_to_mfn of something other than a mapped frame")
        ex.require(path, ~va.null & (va.off < 4096), f"domain_page_map_to_mfn of a mapped frame ({what})")
        return va.base

    def _put_page(self, ex: Executor, path: Path, args: list, what: str) -> None:
        frame, _ = self._element(ex, args[0], what)
        refs = path.ghost[REFS]
        path.ghost[REFS] = ite(frame == self.watch, refs - 1, refs)

    # -- the domain's p2m pool -------------------------------------------------
    def _paging_alloc_page(self, ex: Executor, path: Path, args: list, what: str) -> Ptr:
        k = path.ghost[ATTEMPTS]
        fail = any_of((k == i) & f for i, f in enumerate(self.fails))
        page, found = bv(0, 16), FALSE
        for q in reversed(range(ROOT_PAGES, self.pages)):
            page = ite(path.ghost[free_key(q)], bv(q, 16), page)
            found = found | path.ghost[free_key(q)]
        ok = found & ~fail
        for q in range(ROOT_PAGES, self.pages):
            path.ghost[free_key(q)] = path.ghost[free_key(q)] & ~(ok & (page == q))
        path.ghost[ATTEMPTS] = k + 1
        return ite_value(ok, Ptr("record", frame_of(page), bv(0, 64)), NULL, what)

    def _paging_free_page(self, ex: Executor, path: Path, args: list, what: str) -> None:
        pg = args[1]
        if not isinstance(pg, Ptr) or pg.region != "record":
            raise UnsupportedIR(f"{what}: paging_free_page of something other than a page")
        frame, _ = self._element(ex, pg, what)
        hits = [(frame == PT_FRAME_BASE + q, q) for q in range(ROOT_PAGES, self.pages)]
        ex.require(path, ~pg.null & any_of(h for h, _ in hits), f"paging_free_page of a pool page ({what})")
        for h, q in hits:
            path.ghost[free_key(q)] = path.ghost[free_key(q)] | h

    def _ptprove_domain_crash(self, ex: Executor, path: Path, args: list, what: str) -> None:
        path.ghost[CRASH] = TRUE

    def _ptprove_hfence(self, ex: Executor, path: Path, args: list, what: str) -> None:
        path.ghost[HFENCES] = path.ghost[HFENCES] + 1

    # -- the CPU, ASSERT, BUG -------------------------------------------------------
    def _ptprove_isa_extension(self, ex: Executor, path: Path, args: list, what: str) -> Bool:
        return args[0] == 0  # RISCV_ISA_EXT_svade: the model's hart has it

    def _ptprove_note(self, ex: Executor, path: Path, args: list, what: str) -> None:
        return None  # a release build's failed ASSERT: noted, and the code goes on

    def _longjmp(self, ex: Executor, path: Path, args: list, what: str):
        failed = path.objs.get(ex.global_ids.get("ptprove_failed", -1), {}).get(0)
        text = "BUG_ON/panic"
        if isinstance(failed, Ptr) and failed.region == "obj":
            text = ex.m.strings.get(ex.objects.get(failed.base, "").lstrip("@"), text)
        raise Stop(text)


class TableBounds:
    """An executor observer: notes (ghost OOB) a page-frame word read at index
    `entries` or above, i.e. past the entries of the table page the frame holds (at
    the bounded width the frame's words past PAGETABLE_ENTRIES; a metadata page's
    md_t slots, 4 bytes each, stay below).  p2m_free_subtree's loop below a root
    entry reads there (the model's ev_oob)."""

    def __init__(self, entries: int):
        self.entries = entries

    def frame_load(self, ex: Executor, path: Path, frame: Word, idx: Word, value: Word) -> None:
        path.ghost[OOB] = path.ghost[OOB] | (idx >= self.entries)

    def frame_store(self, ex: Executor, path: Path, frame: Word, idx: Word, old: Word, new: Word) -> None:
        return None

    def returned(self, ex: Executor, path: Path, fn, env: dict) -> None:
        return None


def initial_ghost(pages: int, md_pg: Sequence[Word], used: Sequence[Word], free: Sequence[Bool],
                  refs: Word) -> dict:
    """The ghost state a run starts from: the model's pre-state's page fields."""
    g = {REFS: refs, ATTEMPTS: bv(0, 8), CRASH: FALSE, MD_NULL: FALSE, HFENCES: bv(0, 8), OOB: FALSE}
    for q in range(pages):
        g[md_key(q)], g[used_key(q)] = md_pg[q], used[q]
    for k, q in enumerate(range(ROOT_PAGES, pages)):
        g[free_key(q)] = free[k]
    return g


__all__ = ["P2MEnv", "TableBounds", "initial_ghost", "frame_of", "md_key", "used_key", "free_key"]
