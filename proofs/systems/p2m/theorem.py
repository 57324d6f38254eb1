"""What the p2m (G-stage) code must keep: read this file first.

Three kinds of obligation:
  state  a property of the tree and its ghost state between calls; assumed of
         the pre-state, checked of the post-state of one call;
  step   a property of one call: its events, or the pre- and post-state
         translations of the guest frames it was not asked to touch;
  split  a property of p2m_split_superpage alone, on a superpage entry at
         any level (proofs/systems/p2m/split.py);
  range  what the range loop around p2m_set_entry returns, at every exit of
         its loop (proofs/systems/p2m/set_range.py).

A call is one p2m_set_entry under the write lock (map_regions_p2mt), whose
unlock flushes if need_flush.  Levels are counted as RISC-V does (0 = 4 KiB).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from model.riscv.p2m_state import (INVALID_MFN, MAX_SUPPORTED_LEVEL, NO_MD, ROOT_PAGES, USED_BITS, P2MState, count,
                                   exactly_one_or_none)
from model.term import Bool, Word, all_of, bv, ite
from proofs.engine.obligation import Member, Query, StepObligation
from proofs.engine.result import NOT_INDUCTIVE, PROVED, UNKNOWN
from proofs.systems.p2m.split import split_check, split_geometry, split_query
from proofs.systems.shared import negative_errno


@dataclass(frozen=True)
class Call:
    """One p2m_set_entry request: order = target * P2M_LEVEL_ORDER(1)."""

    gfn: Word  # 64-bit
    target: int  # the level of the entry written: 0 (4K), 1 (2M), 2 (1G)
    mfn: Word  # 64-bit; INVALID_MFN removes
    t: Word  # p2m type (TYPE_BITS)


@dataclass(frozen=True)
class P2MObligation:
    id: str
    statement: str
    kind: str  # "state" | "step" | "split"
    holds: Optional[Callable] = None  # state: (m, st); step: (m, pre, post, call, other_gfn)
    needs: tuple[str, ...] = ("well-formed",)
    informative: bool = False



# -- state invariants --------------------------------------------------------------

def well_formed(m, st: P2MState) -> Bool:
    """A tree: every table entry reachable from the root points to a pool page that
    is in use, below level 0 there are no pointers, leaves sit at 4K/2M/1G only, and
    no pool page is linked twice (so no page is shared or its own ancestor).  Where
    the type is in the entry, it is consistent (`type_consistent`); with metadata
    pages that is the `metadata` obligation, so a failed metadata allocation does
    not take the tree's proofs with it.  A reachable table page's metadata page is
    an in-use pool page that is not a table nor another page's metadata page, and
    its used_entries is at least the number of slots in use."""
    geo = st.geo
    reach = m.reach_levels(st)
    ok = metadata_well_formed(m, st, reach)
    links: dict[int, list] = {q: [] for q in geo.pool_pages()}
    for level in range(geo.root_level + 1):
        for p in range(geo.pages):
            r = reach[level][p]
            if r.is_concrete and not r.v:
                continue
            for i in range(geo.entries):
                e = st.cells[st.cell(p, i)]
                tbl = r & m.pte_is_table(e, level)
                tgt = m.pte_page(e)
                in_use = all_of([(tgt >= ROOT_PAGES), (tgt < geo.pages)]) & ~_free_of(st, tgt)
                ok.append(tbl.implies(in_use & (level > 0)))
                leaf = r & m.pte_is_mapping(e, level)
                ok.append(leaf.implies(level <= MAX_SUPPORTED_LEVEL))
                if not m.metadata_pages:  # the type is in the entry (else: `metadata`)
                    ok.append(r.implies(m.type_consistent(st, e, level, bv(p, 16), bv(i, 16))))
                for q in geo.pool_pages():
                    links[q].append(tbl & (tgt == q))
    ok.extend(exactly_one_or_none(v) for v in links.values())
    return all_of(ok)


def _reached(reach: list, p: int) -> Bool:
    return Bool(False) if not reach else _any(reach[lv][p] for lv in range(len(reach)))


def _any(items) -> Bool:
    out = Bool(False)
    for b in items:
        out = out | b
    return out


def metadata_well_formed(m, st: P2MState, reach: list) -> list:
    """The metadata pages of the reachable table pages (p2m_set_type's v.md.pg)."""
    geo = st.geo
    if not m.metadata_pages:  # types live in the entry: no page has a metadata page
        return [md == NO_MD for md in st.md_page]
    ok: list = []
    table = [_reached(reach, q) for q in range(geo.pages)]
    # a page back in the pool, or serving as a metadata page, has none itself
    # (p2m_free_table clears v.md.pg; nothing sets a metadata page's own)
    for k, f in enumerate(st.free):
        ok.append(f.implies(st.md_page[ROOT_PAGES + k] == NO_MD))
    for p in range(geo.pages):
        md = st.md_page[p]
        if md.is_concrete and md.v == NO_MD:
            continue
        has = table[p] & (md != NO_MD)
        in_pool = (md >= ROOT_PAGES) & (md < geo.pages) & ~_free_of(st, md)
        not_table = all_of((md != q) | ~table[q] for q in range(geo.pages))
        slots = count([st.md[st.cell(p, i)] != 0 for i in range(geo.entries)], USED_BITS)
        own = all_of((md != q) | (st.md_page[q] == NO_MD) for q in range(geo.pages))
        ok.append(has.implies(in_pool & not_table & own & (st.used[p] >= slots)))
        for q in range(p + 1, geo.pages):
            ok.append((has & table[q] & (st.md_page[q] != NO_MD)).implies(md != st.md_page[q]))
    return ok


def _free_of(st: P2MState, page: Word) -> Bool:
    f = Bool(False)
    for k, x in enumerate(st.free):
        f = f | ((page == ROOT_PAGES + k) & x)
    return f


def metadata(m, st: P2MState) -> Bool:
    """Every reachable leaf has its type where p2m_get_type finds it: one whose PTE bits
    say p2m_ext_storage has its table page's metadata page, with an external type in
    its slot (Arm: the descriptor's type agrees with its valid bit)."""
    reach = m.reach_levels(st)
    return all_of(reach[lv][p].implies(m.type_consistent(st, st.cells[st.cell(p, i)], lv, bv(p, 16),
                                                         bv(i, 16)))
                  for lv in range(st.geo.root_level + 1) for p in range(st.geo.pages)
                  for i in range(st.geo.entries) if not (reach[lv][p].is_concrete and not reach[lv][p].v))


def metadata_kept(m, pre: P2MState, post: P2MState, call: Call, other: Word) -> Bool:
    """metadata after the call, and no p2m_get_type during it mapped a metadata page
    that is not there (the C dereferences a NULL page_info)."""
    return metadata(m, post) & ~post.ev_md_missing


def no_leak(m, st: P2MState) -> Bool:
    """Every page taken from the pool is reachable from the root, or is the metadata
    page of a reachable table page (or back in the pool)."""
    reach = m.reach_levels(st)
    table = [_reached(reach, q) for q in range(st.geo.pages)]
    out = []
    for k, (f, r) in enumerate(zip(st.free, m.reachable(st))):
        q = ROOT_PAGES + k
        md_of = _any(table[p] & (st.md_page[p] == q) for p in range(st.geo.pages)
                     if not (st.md_page[p].is_concrete and st.md_page[p].v == NO_MD))
        out.append((~f).implies(r | md_of))
    return all_of(out)


def reserved(m, st: P2MState) -> Bool:
    """No entry the walker can reach is an encoding it faults on (reserved bits, W
    without R, PBMT=3, a G-stage leaf without U, a misaligned superpage)."""
    reach = m.reach_levels(st)
    return all_of((reach[lv][p]).implies(~m.entry_reserved(st.cells[st.cell(p, i)], lv))
                  for lv in range(st.geo.root_level + 1) for p in range(st.geo.pages)
                  for i in range(st.geo.entries))


def tlb_clean(m, st: P2MState) -> Bool:
    """Between calls: nothing left to flush, every TLB entry clean (no INVALID_UNCLEAN
    entry), the pages a walk may use are exactly the linked ones, none of them free."""
    reach = m.reachable(st)
    return (~st.need_flush & all_of(~s for s in st.stale)
            & all_of(w.iff(r) for w, r in zip(st.walkable, reach))
            & all_of(f.implies(~w) for f, w in zip(st.free, st.walkable)))


def refs_balanced(m, st: P2MState) -> Bool:
    """The watched frame holds exactly one reference per live leaf of a foreign type
    that maps it (a 2M foreign leaf holds one on each of its 512 frames)."""
    return st.refs == m.live_foreign_maps(st)


# -- step properties ---------------------------------------------------------------

def outside(m, call: Call, other: Word) -> Bool:
    span = 1 << m.geo.level_order(call.target)
    return (other - call.gfn) >= span


def _translation(m, st: P2MState, gfn: Word):
    """(ok, mfn, attrs, type), every field 0 where the walk faults."""
    ok, mfn, attrs, t = m.translate(st, gfn)
    return ok, ite(ok, mfn, 0 * mfn), ite(ok, attrs, 0 * attrs), ite(ok, t, 0 * t)


def footprint(m, pre: P2MState, post: P2MState, call: Call, other: Word) -> Bool:
    """A call on [gfn, gfn + 2^order) changes no other frame's translation (frame,
    permissions, PBMT, type)."""
    a, b = _translation(m, pre, other), _translation(m, post, other)
    same = all_of(x.iff(y) if isinstance(x, Bool) else x == y for x, y in zip(a, b))
    return outside(m, call, other).implies(same)


def type_preserved(m, pre: P2MState, post: P2MState, call: Call, other: Word) -> Bool:
    """A call on [gfn, gfn + 2^order) leaves the p2m type of every other frame
    unchanged (p2m_invalid where nothing is mapped)."""
    a, b = _translation(m, pre, other), _translation(m, post, other)
    return outside(m, call, other).implies(a[3] == b[3])


def freed_clean(m, pre: P2MState, post: P2MState, call: Call, other: Word) -> Bool:
    """flush-before-free: no table page went back to the pool while a walk cached
    since the last hfence.gvma could still use it, and the call ends clean."""
    return ~post.ev_free_walkable & tlb_clean(m, post)


def refs_kept(m, pre: P2MState, post: P2MState, call: Call, other: Word) -> Bool:
    """refcount: references balance after the call: none dropped while the frame is
    still mapped (also on the split failure path), none kept for a leaf that is gone."""
    return refs_balanced(m, post)


def in_bounds(m, pre: P2MState, post: P2MState, call: Call, other: Word) -> Bool:
    """Every entry the call reads or frees lies inside the table page it is read from
    (p2m_free_subtree walks the table below an entry with the loop bound of that entry's
    level: at the root level 4 times the entries of the page below)."""
    return ~post.ev_oob


def asked(m, call: Call, st: P2MState, other: Word) -> Bool:
    """Frame `other` of the call's range translates in `st` as the call asked: to
    mfn + (other - gfn) with type t for a mapping, not at all for a removal
    (INVALID_MFN) or a p2m_invalid mapping (p2m_set_permission clears V)."""
    ok, mfn, _, t = _translation(m, st, other)
    maps = (call.mfn != INVALID_MFN) & (call.t != m.P2M_INVALID)
    frame = (mfn.zext(64) == call.mfn + (other - call.gfn)) & (t == call.t)
    return ite(maps, ok & frame, ~ok)


def return_value(m, pre: P2MState, post: P2MState, call: Call, other: Word) -> Bool:
    """p2m_set_entry returns 0 only when it did what it was asked at every frame of
    [gfn, gfn + 2^order), and a negative errno (-MAX_ERRNO .. -1) otherwise.  (A
    nonzero rc after which the range happens to translate as asked, a failed split of a
    superpage that already maps it so, is not counted wrong.)"""
    done = outside(m, call, other) | asked(m, call, post, other)
    return ite(post.rc == 0, done, negative_errno(post.rc))


def bbm(m, pre: P2MState, post: P2MState, call: Call, other: Word) -> Bool:
    """break-before-make: no live entry went from valid to valid with another output
    or kind, or from not-yet-flushed invalid to valid, without a TLBI between."""
    return ~post.ev_bbm


CLAIMS: dict[str, P2MObligation] = {o.id: o for o in (
    P2MObligation("split-preserves", "a split keeps the translation (MFN, permissions, type, "
                  "PBMT) of every frame of the superpage, with aligned leaves", "split", split_check,
                  needs=()),
    P2MObligation("flush-before-free", "no page-table page goes back to the pool while a "
                  "TLB entry or walk through it may still be used", "step", freed_clean,
                  needs=("well-formed", "flush-before-free")),
    P2MObligation("no-leak", "every page taken from the pool is reachable from the root or "
                  "back in the pool after every call, failures included", "state", no_leak,
                  needs=("well-formed", "no-leak")),
    P2MObligation("refcount", "one reference per live foreign leaf mapping a frame; none "
                  "dropped while still mapped", "step", refs_kept,
                  needs=("well-formed", "metadata", "refcount")),
    P2MObligation("type-preserved", "a call on one guest frame range leaves the type of every "
                  "other frame unchanged", "step", type_preserved,
                  needs=("well-formed", "metadata", "reserved")),
    P2MObligation("well-formed", "the G-stage tree is a tree of in-use pool pages with leaves "
                  "at 4K/2M/1G only", "state", well_formed, needs=("well-formed",)),
    P2MObligation("metadata", "every reachable leaf's p2m type is where p2m_get_type finds it "
                  "(p2m_ext_storage: its table page's metadata page, an external type in the slot), "
                  "and no call maps a metadata page that is not there", "step", metadata_kept,
                  needs=("well-formed", "metadata")),
    P2MObligation("footprint", "a call on [gfn, gfn + 2^order) changes no other frame's "
                  "translation", "step", footprint, needs=("well-formed", "metadata", "reserved")),
    P2MObligation("reserved", "no reachable entry is an encoding the G-stage walk faults on",
                  "state", reserved, needs=("well-formed", "reserved")),
    P2MObligation("in-bounds", "every entry a call reads or frees lies inside the table page "
                  "it is read from", "step", in_bounds, needs=("well-formed",)),
    P2MObligation("return", "p2m_set_entry returns 0 only when every frame of [gfn, gfn + 2^order) "
                  "translates as asked (mfn + offset with type t; nothing for INVALID_MFN), else a "
                  "negative errno", "step", return_value, needs=("well-formed", "metadata", "reserved")),
    P2MObligation("return-range", "map_regions_p2mt's range loop (RISC-V p2m_set_range, Arm "
                  "p2m_set_entry) returns 0 exactly when every frame is done, else a negative "
                  "errno, at every exit of its loop", "range", needs=()),
    P2MObligation("bbm", "break-before-make as Arm requires it (informative for RISC-V, "
                  "which does not)", "step", bbm, needs=("well-formed", "flush-before-free"),
                  informative=True),
)}

#: the state invariant an obligation id assumes of the pre-state
PRE_STATE: dict[str, Callable] = {
    "well-formed": well_formed, "no-leak": no_leak, "reserved": reserved,
    "refcount": refs_balanced, "flush-before-free": tlb_clean, "metadata": metadata,
}


# -- as the engine decides them ----------------------------------------------------

#: split-preserves members run by `make prove`; the 1G-to-4K split is in the bench
PROVE_SPLITS = {"riscv": (("sv39x4", 1, 0), ("sv39x4", 2, 1), ("sv48x4", 3, 2),
                          ("sv57x4", 4, 3)),
                "arm": (("sv39x4", 1, 0), ("sv39x4", 2, 1))}


def split_member(cls, mode: str, level: int, target: int) -> Member:
    geo = split_geometry(mode, level, target)
    bounds = dict(geo.bounds(), level=level, target=target,
                  table_width="full: 512 entries per table",
                  depth="one call of p2m_split_superpage, allocations succeed")

    def formula():
        _, _, pre, same = split_query(cls, mode, level, target)
        return pre, same

    def decide(ask) -> tuple:
        out = split_check(cls, mode, level, target, ask)
        if out.status == PROVED:
            return (PROVED, None, "unsat for every superpage entry and frame, at full width", {},
                    out.vacuity)
        if out.status == UNKNOWN:
            return UNKNOWN, None, "solver answered unknown", {}, None
        return (NOT_INDUCTIVE, out.counterexample, "a superpage whose split changes a frame's "
                "translation (replayed); no p2m_set_entry makes a leaf at this level", {}, None)

    return Member(f"p2m_split_superpage level {level} to {target}", bounds, formula, decide,
                  name=f"{mode}-l{level}-to-l{target}")


def _range_members(cls, settings) -> list:
    from proofs.systems.p2m.machine import GEOMETRY, METADATA_GEOMETRY
    from proofs.systems.p2m.set_range import members

    return members(cls, lambda c: METADATA_GEOMETRY if c.metadata_pages else GEOMETRY)


def _engine(o: P2MObligation):
    if o.kind == "range":
        from proofs.systems.p2m.set_range import members

        return Query(o.id, o.statement, _range_members, cites=members)
    if o.kind == "split":
        return Query(o.id, o.statement, lambda cls, settings: [
            split_member(cls, *s) for s in PROVE_SPLITS[cls.arch]], cites=split_check)
    if o.kind == "state":
        holds = lambda v, o=o: o.holds(v.m, v.post)  # noqa: E731
    else:
        holds = lambda v, o=o: o.holds(v.m, v.pre, v.post, v.call, v.other)  # noqa: E731
    return StepObligation(o.id, o.statement, holds, o.needs,
                          lemma=o.id if o.id in PRE_STATE else None,
                          informative=o.informative, cites=o.holds)


OBLIGATIONS = {oid: _engine(o) for oid, o in CLAIMS.items()}
