"""The state of a p2m (G-stage) tree and the ghost state the invariants read.

The tree is a small explicit set of table pages: the root (4 pages, the x4
modes' 16 KiB root) and a bounded pool of `pool` pages, each with
2**idx_bits entries.  The full width is 9 index bits per level (512 entries);
state-machine obligations use fewer, and every result says which.  A table
entry names a table page by an abstract frame number (`PT_FRAME_BASE + page`);
guest data frames (MFNs) stay full 44-bit values.

Every update runs under a guard (`Bool`): model code for both branches of a
C `if` runs in sequence with disjoint guards, so the same code is a concrete
interpreter (guards are Python bools) and an SMT encoder.

Ghost state (never read by the modelled code):
  stale[c]     the per-entry TLB automaton in the style of Casemate: together
               with the entry's validity it gives VALID (valid, not stale),
               INVALID_UNCLEAN (invalid, stale: the TLB may still hold the old
               value) and INVALID_CLEAN (invalid, not stale); `hfence.gvma`
               (Arm: TLBI) is the only edge back to clean.
  walkable[p]  table page p may be on a cached walk: it was linked since the
               last `hfence.gvma`.
  harts        the harts that may hold the domain's G-stage translations (it ran
               there; NR_HARTS of them, hart CURRENT_HART runs the call).  stale and
               walkable are their union: a flush that reaches every one of them cleans
               it; one that misses some leaves it as it was (the missed harts keep what
               they cached), as Arm's stale hull does for a flush of too few pages.
  refs         references held on one watched guest frame `watch` (every frame
               is like it: the invariant is proved for an arbitrary one).
  asserts      the ASSERTs the call fails, in order, with the C's text (the model is
               a release build: it goes on after each, as the C harness's does).
  events       what happened during the call that an invariant forbids
               (a freed walkable page, an Arm break-before-make breach), and
               what the C does that the model cannot go on from: p2m_get_type
               mapping a metadata page that is not there (a NULL page_info),
               domain_crash after a failed metadata-page allocation, an entry
               read (and freed) past the end of the table page it is in, a
               p2m_free_subtree walk below level 0 that comes back to a page on
               its own path (the C recurses without end).

Metadata pages (not ghost: p2m.c keeps them in page_info): `md_page[p]` is the
pool page holding table page p's md_t array (`v.md.pg`, NO_MD when NULL) and
`used[p]` its `u.md.used_entries`, which nothing resets when p is freed.  The
slots themselves are `md`, per cell of p (the C keeps them in the md page).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Optional, Sequence

from model.term import FALSE, TRUE, Bool, Word, all_of, bv, ite, sym_bool, sym_word

ROOT_PAGES = 4  # the G-stage root is 4 contiguous pages (the "x4" modes)
PT_FRAME_BASE = 0x80000  # abstract frame number of table page 0
MFN_BITS = 44
REF_BITS = 16
RC_BITS = 32  # a C int: what p2m_set_entry returns
TYPE_BITS = 4
USED_BITS = 64  # u.md.used_entries: an unsigned long
#: the step queries assume every used_entries below this before a call (machine.py): it
#: grows by at most 2 * 512 per call and nothing resets it, so 2^62 is beyond any lifetime
USED_LIMIT = 1 << 62
NO_MD = 0xFFFF  # v.md.pg == NULL
INVALID_MFN = (1 << 64) - 1  # mfn_t INVALID_MFN as the 64-bit argument
#: the harts the model distinguishes: the one running the call (smp_processor_id()) and another
NR_HARTS, CURRENT_HART = 2, 0
ALL_HARTS = (1 << NR_HARTS) - 1
MAX_SUPPORTED_LEVEL = 2  # P2M_MAX_SUPPORTED_LEVEL_MAPPING: 4K, 2M and 1G leaves only

#: G-stage modes: name -> root level (P2M_ROOT_LEVEL)
GSTAGE_MODES = {"sv39x4": 2, "sv48x4": 3, "sv57x4": 4}


@dataclass(frozen=True)
class P2MGeometry:
    mode: str = "sv39x4"
    idx_bits: int = 9
    pool: int = 3

    def __post_init__(self) -> None:
        if self.mode not in GSTAGE_MODES:
            raise ValueError(f"unknown G-stage mode {self.mode!r} (known: {', '.join(GSTAGE_MODES)})")
        if not 1 <= self.idx_bits <= 9 or self.pool < 0:
            raise ValueError("index bits must be 1..9 and the pool non-negative")

    @property
    def root_level(self) -> int:
        return GSTAGE_MODES[self.mode]

    @property
    def entries(self) -> int:
        return 1 << self.idx_bits

    @property
    def pages(self) -> int:
        return ROOT_PAGES + self.pool

    @property
    def cells(self) -> int:
        return self.pages * self.entries

    @property
    def gfn_bits(self) -> int:
        """Guest frame number width: one index per level, two more at the root."""
        return self.idx_bits * (self.root_level + 1) + 2

    def level_order(self, level: int) -> int:
        """P2M_LEVEL_ORDER(level): 9 * level at full width."""
        return self.idx_bits * level

    def pool_pages(self) -> range:
        return range(ROOT_PAGES, self.pages)

    def bounds(self) -> dict:
        return dict(mode=self.mode, levels=self.root_level + 1, pool=self.pool,
                    entries_per_table=self.entries, root_entries=ROOT_PAGES * self.entries,
                    entry_bits=64, mfn_bits=MFN_BITS)


class Oracle:
    """Whether each allocation attempt of a call fails: the domain's p2m pool may be empty.

    The k-th attempt on the path the call takes reads outcome k.  Concrete: a list
    of outcomes (missing ones succeed).  Symbolic: one Bool per attempt number,
    named after the call, and a symbolic count of the attempts made so far, so
    a solver's values replay concretely on the same path."""

    MAX_ATTEMPTS = 8

    def __init__(self, fails: Optional[Sequence[bool]] = None, prefix: Optional[str] = None):
        self.fails = list(fails or [])
        self.prefix = prefix
        self.names = [f"{prefix}_allocfail{k + 1}" for k in range(self.MAX_ATTEMPTS)] if prefix else []
        self.made = bv(0, 8)

    def failable(self) -> int:
        """How many attempt numbers can fail (0, 1, ...): any attempt past them succeeds
        unless the pool is empty."""
        return len(self.fails) if self.prefix is None else self.MAX_ATTEMPTS

    def next(self, g: Bool) -> Bool:
        """The outcome of an attempt made under guard g (g false: no attempt)."""
        k = self.made
        self.made = ite(g, k + 1, k)
        if self.prefix is None:
            n = int(k)
            return Bool(bool(self.fails[n])) if n < len(self.fails) else FALSE
        fail = FALSE
        for i, name in enumerate(self.names):
            fail = fail | ((k == i) & sym_bool(name))
        return fail


@dataclass(frozen=True)
class P2MState:
    geo: P2MGeometry
    cells: tuple  # Word(64) per (page, index)
    md: tuple  # Word(TYPE_BITS) per cell: the table page's metadata slot (external types)
    free: tuple  # Bool per pool page: back in the pool
    stale: tuple  # Bool per cell: TLB automaton (see module doc)
    walkable: tuple  # Bool per pool page
    refs: Word  # references held on `watch`
    watch: Word  # the watched guest frame (MFN_BITS)
    need_flush: Bool
    ev_free_walkable: Bool = field(default_factory=lambda: FALSE)
    ev_bbm: Bool = field(default_factory=lambda: FALSE)
    ev_md_missing: Bool = field(default_factory=lambda: FALSE)
    ev_crash: Bool = field(default_factory=lambda: FALSE)
    ev_oob: Bool = field(default_factory=lambda: FALSE)  # an entry read past its table page
    #: an hfence.gvma was issued (p2m_tlb_flush) since the last clear_events: what the
    #: refinement compares with the C's sbi_remote_hfence_gvma calls (no invariant reads it)
    flushed: Bool = field(default_factory=lambda: FALSE)
    ev_endless: Bool = field(default_factory=lambda: FALSE)  # p2m_free_subtree recurses without end
    #: the ASSERTs of the call that fail, in the C's order: (guard, the C's text) each (a
    #: release build notes them and goes on, as the model does; a debug build stops at the first)
    asserts: tuple = ()
    rc: Word = field(default_factory=lambda: bv(0, RC_BITS))  # what the last call returned (int)
    md_page: tuple = ()  # Word(16) per page: its metadata page (NO_MD: none)
    used: tuple = ()  # Word(USED_BITS) per page: used_entries
    #: ghost: the harts that may hold the domain's G-stage translations (a bit each; by
    #: default all of them, the case where a flush must reach every hart)
    harts: Word = field(default_factory=lambda: bv(ALL_HARTS, NR_HARTS))
    ghost: bool = True  # False: skip the reachability ghost (full-width split checks)
    # pages filled by one loop over all their entries, read in closed form:
    # (page, fn(idx) -> (entry, md), entry writes since, md writes since)
    uniform: tuple = ()

    def __post_init__(self) -> None:
        if not self.md_page:  # no metadata page anywhere, nothing counted
            object.__setattr__(self, "md_page", (bv(NO_MD, 16),) * self.geo.pages)
        if not self.used:
            object.__setattr__(self, "used", (bv(0, USED_BITS),) * self.geo.pages)

    # -- construction -------------------------------------------------------
    @classmethod
    def initial(cls, geo: P2MGeometry, watch: Word) -> "P2MState":
        """After p2m_alloc_root_table: an empty root, every pool page free."""
        z = bv(0, 64)
        return cls(geo, (z,) * geo.cells, (bv(0, TYPE_BITS),) * geo.cells, (TRUE,) * geo.pool,
                   (FALSE,) * geo.cells, (FALSE,) * geo.pool, bv(0, REF_BITS), watch, FALSE)

    @classmethod
    def arbitrary(cls, geo: P2MGeometry, name: str) -> "P2MState":
        """Any state between calls (need_flush clear, every event clear)."""
        n = geo.cells
        return cls(geo, tuple(sym_word(f"{name}_e{c}", 64) for c in range(n)),
                   tuple(sym_word(f"{name}_md{c}", TYPE_BITS) for c in range(n)),
                   tuple(sym_bool(f"{name}_free{p}") for p in range(geo.pool)),
                   tuple(sym_bool(f"{name}_stale{c}") for c in range(n)),
                   tuple(sym_bool(f"{name}_walk{p}") for p in range(geo.pool)),
                   sym_word(f"{name}_refs", REF_BITS), sym_word(f"{name}_watch", MFN_BITS), FALSE,
                   md_page=tuple(sym_word(f"{name}_mdpg{p}", 16) for p in range(geo.pages)),
                   used=tuple(sym_word(f"{name}_used{p}", USED_BITS) for p in range(geo.pages)),
                   harts=sym_word(f"{name}_harts", NR_HARTS))

    def clear_events(self) -> "P2MState":
        return replace(self, ev_free_walkable=FALSE, ev_bbm=FALSE, ev_md_missing=FALSE, ev_crash=FALSE,
                       ev_oob=FALSE, flushed=FALSE, ev_endless=FALSE, asserts=())

    # -- metadata pages -----------------------------------------------------
    def _per_page(self, values: tuple, page: Word, width: int) -> Word:
        if page.is_concrete:
            return values[page.v] if page.v < self.geo.pages else bv(0, width)
        v = bv(0, width)
        for p, x in enumerate(values):
            v = ite(page == p, x, v)
        return v

    def md_of(self, page: Word) -> Word:
        """The page's v.md.pg (NO_MD: NULL)."""
        return self._per_page(self.md_page, page, 16) if not page.is_concrete or page.v < self.geo.pages \
            else bv(NO_MD, 16)

    def used_of(self, page: Word) -> Word:
        return self._per_page(self.used, page, USED_BITS)

    def _set_per_page(self, name: str, g: Bool, page: Word, value: Word) -> "P2MState":
        if g.is_concrete and not g.v:
            return self
        old = getattr(self, name)
        return replace(self, **{name: tuple(ite(g & (page == p), value, x) for p, x in enumerate(old))})

    def set_md_page(self, g: Bool, page: Word, md: Word) -> "P2MState":
        return self._set_per_page("md_page", g, page, md)

    def set_used(self, g: Bool, page: Word, n: Word) -> "P2MState":
        return self._set_per_page("used", g, page, n)

    def clear_md_slots(self, g: Bool, page: Word) -> "P2MState":
        """A fresh metadata page for `page`: every slot p2m_invalid."""
        if g.is_concrete and not g.v:
            return self
        e = self.geo.entries
        hit = [g & (page == c // e) for c in range(self.geo.cells)]
        return replace(self, uniform=(), md=tuple(ite(h, bv(0, TYPE_BITS), o) for h, o in zip(hit, self.md)))

    # -- cells ------------------------------------------------------------
    def cell(self, page: int, idx: int) -> int:
        return page * self.geo.entries + idx

    def read(self, page: Word, idx: Word, among: Optional[range] = None) -> Word:
        """The entry at (page, idx); page and idx may be symbolic.  `among`: the
        pages it can be (the walker follows pointers into the pool only); any
        other page reads as an empty table."""
        return self._read(self.cells, 0, page, idx, among, 64)

    def read_md(self, page: Word, idx: Word) -> Word:
        return self._read(self.md, 1, page, idx, None, TYPE_BITS)

    def _read(self, cells: tuple, part: int, page: Word, idx: Word, among: Optional[range],
              width: int) -> Word:
        pages = among or range(self.geo.pages)
        if page.is_concrete and idx.is_concrete:
            if page.v in pages and idx.v < self.geo.entries:
                return cells[self.cell(page.v, idx.v)]
            return bv(0, width)  # no modelled table page there
        closed = {u[0]: u for u in self.uniform}
        v = bv(0, width)
        for p in pages:
            if page.is_concrete and page.v != p:
                continue
            if p in closed and not idx.is_concrete:
                sub = closed[p][1](idx)[part]
                for g, i, val in closed[p][2 + part]:
                    sub = ite(g & (i == idx), val, sub)
            else:
                sub = bv(0, width)
                for i in range(self.geo.entries):
                    sub = ite(idx == i, cells[self.cell(p, i)], sub)
            v = ite(page == p, sub, v)
        return v

    def noted(self, g: Bool, page: Word, idx: Word, value: Word, part: int = 0) -> "P2MState":
        """Record a write in the closed form of the uniform pages it may land in."""
        if not self.uniform:
            return self
        out = []
        for u in self.uniform:
            hit = g & (page == u[0])
            if hit.is_concrete and not hit.v:
                out.append(u)
                continue
            w = list(u)
            w[2 + part] = u[2 + part] + ((hit, idx, value),)
            out.append(tuple(w))
        return replace(self, uniform=tuple(out))

    def fill(self, g: Bool, page: Word, fn: Callable) -> "P2MState":
        """for (i = 0; i < entries; i++) table[i] = fn(i): entries and metadata slots."""
        if g.is_concrete and not g.v:
            return self
        if g.is_concrete and page.is_concrete:
            if not 0 <= page.v < self.geo.pages:
                return self
            cells, mds = list(self.cells), list(self.md)
            for i in range(self.geo.entries):
                c = self.cell(page.v, i)
                cells[c], mds[c] = fn(bv(i, 16))
            keep = tuple(u for u in self.uniform if u[0] != page.v)
            return replace(self, cells=tuple(cells), md=tuple(mds),
                           uniform=keep + ((page.v, fn, (), ()),))
        st = self
        for i in range(self.geo.entries):
            e, md = fn(bv(i, 16))
            hs = st.hits(g, page, bv(i, 16))
            st = replace(st, cells=tuple(ite(h, e, o) for h, o in zip(hs, st.cells)),
                         md=tuple(ite(h, md, o) for h, o in zip(hs, st.md)))
        return replace(st, uniform=())

    def hits(self, g: Bool, page: Word, idx: Word) -> list:
        """Per cell: does a write at (page, idx) under g land there?"""
        if g.is_concrete and not g.v:
            return [FALSE] * self.geo.cells
        if page.is_concrete and idx.is_concrete:
            if not (0 <= page.v < self.geo.pages and 0 <= idx.v < self.geo.entries):
                return [FALSE] * self.geo.cells
            out = [FALSE] * self.geo.cells
            out[self.cell(page.v, idx.v)] = g
            return out
        return [g & (page == p) & (idx == i) for p in range(self.geo.pages)
                for i in range(self.geo.entries)]

    def with_cell(self, c: int, value: Word, stale: Bool) -> "P2MState":
        """One concrete cell written (the fast path of a concrete write)."""
        return replace(self, cells=self.cells[:c] + (value,) + self.cells[c + 1:],
                       stale=self.stale[:c] + (stale,) + self.stale[c + 1:])

    def with_cells(self, hits: list, values: Sequence[Word], stale: Sequence[Bool]) -> "P2MState":
        return replace(self, cells=tuple(ite(h, v, o) for h, v, o in zip(hits, values, self.cells)),
                       stale=tuple(stale))

    def set_md(self, g: Bool, page: Word, idx: Word, t: Word) -> "P2MState":
        if g.is_concrete and not g.v:
            return self
        st = self.noted(g, page, idx, t, part=1)
        if g.is_concrete and page.is_concrete and idx.is_concrete:
            c = self.cell(page.v, idx.v)
            return replace(st, md=self.md[:c] + (t,) + self.md[c + 1:])
        hs = self.hits(g, page, idx)
        return replace(st, md=tuple(ite(h, t, o) for h, o in zip(hs, self.md)))

    def visible(self, page: Word) -> Bool:
        """The hardware walker may read this table page: a root page, or a
        page linked since the last hfence.gvma."""
        v = page < ROOT_PAGES
        for k, w in enumerate(self.walkable):
            v = v | ((page == ROOT_PAGES + k) & w)
        return v

    # -- pool ---------------------------------------------------------------
    def first_free(self) -> tuple[Bool, Word]:
        """(some page is free, the first free page) in pool order."""
        page, found = bv(0, 16), FALSE
        for k in reversed(range(self.geo.pool)):
            page = ite(self.free[k], bv(ROOT_PAGES + k, 16), page)
            found = found | self.free[k]
        return found, page

    def set_free(self, g: Bool, page: Word, value: Bool) -> "P2MState":
        free = tuple(ite(g & (page == ROOT_PAGES + k), value, f) for k, f in enumerate(self.free))
        return replace(self, free=free)

    def clear_page(self, g: Bool, page: Word) -> "P2MState":
        """clear_and_clean_page: every entry and metadata slot of the page becomes 0."""
        e = self.geo.entries
        hit = [g & (page == c // e) for c in range(self.geo.cells)]
        return replace(self, uniform=(), cells=tuple(ite(h, bv(0, 64), o) for h, o in zip(hit, self.cells)),
                       md=tuple(ite(h, bv(0, TYPE_BITS), o) for h, o in zip(hit, self.md)))

    # -- events -------------------------------------------------------------
    def flag(self, name: str, cond: Bool) -> "P2MState":
        return replace(self, **{name: getattr(self, name) | cond})

    def assert_fails(self, fails: Bool, text: str) -> "P2MState":
        """The C's `text` (ASSERT(...) as written, ASSERT_UNREACHABLE()) fails here when
        `fails` holds: noted with the call, as the release build's ptprove_note does."""
        if fails.is_concrete and not fails.v:
            return self
        return replace(self, asserts=self.asserts + ((fails, text),))

    def failed_asserts(self) -> list[str]:
        """The ASSERTs the call failed, in order (a concrete state)."""
        return [text for fails, text in self.asserts if bool(fails)]


def page_of_frame(frame: Word) -> Word:
    """The table page an entry's PPN names (16-bit; out of range names no page)."""
    off = frame - PT_FRAME_BASE
    in_range = off < (1 << 15)
    return ite(in_range, off.trunc(16), bv(0xFFFF, 16))


def frame_of_page(page: Word) -> Word:
    return page.zext(MFN_BITS) + PT_FRAME_BASE


def count(items: Sequence[Bool], width: int = REF_BITS) -> Word:
    n = bv(0, width)
    for b in items:
        n = n + ite(b, bv(1, width), bv(0, width))
    return n


def exactly_one_or_none(items: Sequence[Bool]) -> Bool:
    """At most one of `items` holds."""
    return all_of(~(a & b) for i, a in enumerate(items) for b in items[i + 1:])


