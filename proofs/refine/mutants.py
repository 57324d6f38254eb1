"""One-line mutants of upstream pt.c, applied to the C text at run time: can the refinement
tell each from the real code?

Each mutant replaces the `nth` occurrence of one line fragment of upstream's pt.c (read
from `../shared/xen/` or `--c-source`, copied only into a temporary directory) and names
the units expected to refute it.  A mutant is killed when some refinement obligation
of riscv-pt-upstream is violated with a replayed concrete input; a survivor must be
listed in EQUIVALENT with the reason it cannot be told apart.

    python -m proofs.refine.mutants [--c-source pt.c] [--only id,id] [--timeout S]

Exit status: 0 every mutant killed or explained, 1 an unexplained survivor or a kill by
a unit other than expected, 2 bad input (a fragment no longer in the C), 3 solver unknown.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from proofs.errors import EXIT_MISMATCH, EXIT_OK, EXIT_SOLVER, PtproveError, UsageError, require_known
from proofs.engine.result import UNKNOWN, VIOLATED

VERSION = "riscv-pt-upstream"


@dataclass(frozen=True)
class Mutant:
    id: str
    what: str
    old: str  # a fragment of one line of upstream pt.c
    new: str
    units: tuple  # the obligations expected to refute it
    nth: int = 0  # which occurrence of `old`

    def apply(self, text: str) -> str:
        at = -1
        for _ in range(self.nth + 1):
            at = text.find(self.old, at + 1)
            if at < 0:
                raise UsageError(f"mutant {self.id}: {self.old!r} (occurrence {self.nth}) is not in this pt.c")
        if "\n" in self.old or "\n" in self.new:
            raise UsageError(f"mutant {self.id} spans lines")
        return text[:at] + self.new + text[at + len(self.old):]


#: units by short name, as the table below names them
UNITS = {"check": "pt_check_entry", "next": "pt_next_level", "create": "create_table",
         "entry": "pt_update_entry", "level": "pt_mapping_level", "loop": "pt_update loop iteration",
         "map": "map prologue", "destroy": "destroy prologue", "modify": "modify prologue"}

#: id[#occurrence] @@ a fragment of one line of upstream pt.c @@ its replacement @@ units expected to refute @@ what
TABLE = """
check-modify-invalid @@ if ( !pte_is_valid(entry) ) @@ if ( 0 ) @@ check entry @@ pt_check_entry lets a modify touch an invalid entry
check-modify-table @@ if ( pte_is_table(entry) ) @@ if ( 0 ) @@ check entry @@ pt_check_entry lets a modify rewrite a table entry
check-insert-valid @@ if ( pte_is_valid(entry) ) @@ if ( 0 ) @@ check entry @@ pt_check_entry lets an insert replace a valid entry
check-remove-table#1 @@ if ( pte_is_table(entry) ) @@ if ( 0 ) @@ check entry @@ pt_check_entry lets a remove clear a table entry
check-populate-as-remove @@ else if ( !(flags & PTE_POPULATE) ) @@ else if ( 1 ) @@ check entry @@ populate is checked as a removal
check-no-assert @@ ASSERT(mfn_eq(mfn, INVALID_MFN)); @@ ; @@ check entry @@ the remove path's ASSERT(mfn_eq(mfn, INVALID_MFN)) dropped
create-table-readable @@ pte = pte_from_mfn(mfn, PTE_TABLE); @@ pte = pte_from_mfn(mfn, PTE_TABLE | PTE_READABLE); @@ create next entry @@ a new table entry is created readable (a leaf)
create-table-no-clear @@ clear_page(p); @@ ; @@ create next entry @@ a new table page is not cleared
create-table-null @@ if ( pg == NULL ) @@ if ( 0 ) @@ create next entry @@ the allocation failure is not checked (NULL dereference)
next-level-alloc-inverted @@ if ( !alloc_tbl ) @@ if ( alloc_tbl ) @@ next entry @@ pt_next_level allocates exactly when it must not
next-level-nomem-as-none @@ return XEN_TABLE_MAP_NOMEM; @@ return XEN_TABLE_MAP_NONE; @@ next entry @@ an allocation failure reported as 'no table'
next-level-table-as-leaf @@ if ( pte_is_mapping(*entry) ) @@ if ( pte_is_table(*entry) ) @@ next entry @@ pt_next_level stops at tables instead of leaves
entry-no-populate-alloc @@ bool alloc_tbl = !mfn_eq(mfn, INVALID_MFN) || (flags & PTE_POPULATE); @@ bool alloc_tbl = !mfn_eq(mfn, INVALID_MFN); @@ entry @@ populate may no longer allocate tables
entry-nomem-rc @@ rc = -ENOMEM; @@ rc = -EINVAL; @@ entry @@ an allocation failure returns -EINVAL
entry-walk-off-by-one @@ for ( ; level > *target; level-- ) @@ for ( ; level >= *target && level; level-- ) @@ entry @@ the walk to the target level goes one level too far
entry-or-not-clear @@ pte.pte &= ~attrs; @@ ; @@ entry @@ modify ORs the new attributes in without clearing the old ones
entry-no-dirty @@ pte.pte |= (flags & attrs) | PTE_ACCESSED | PTE_DIRTY; @@ pte.pte |= (flags & attrs) | PTE_ACCESSED; @@ entry @@ a new leaf is written without PTE_DIRTY
entry-no-pbmt @@ const pte_attr_t attrs = PTE_ACCESS_MASK | PTE_PBMT_MASK; @@ const pte_attr_t attrs = PTE_ACCESS_MASK; @@ entry @@ PBMT no longer taken from the flags (v9's behaviour)
entry-remove-keeps-bits @@ pte.pte = 0; @@ pte.pte = PTE_ACCESSED; @@ entry @@ a removed entry keeps PTE_ACCESSED
entry-offset-off-by-one @@ ptep = table + offsets[level]; @@ ptep = table + offsets[level + 1]; @@ entry @@ the entry is taken one level up (offsets[3] is past the array at the root)
walk-stops-at-none-only @@ if ( ret == XEN_TABLE_MAP_NONE || ret == XEN_TABLE_SUPER_PAGE ) @@ if ( ret == XEN_TABLE_MAP_NONE ) @@ entry @@ _pt_walk walks on through leaves
level-no-1g @@ for ( i = HYP_PT_ROOT_LEVEL; i != 0; i-- ) @@ for ( i = HYP_PT_ROOT_LEVEL - 1; i != 0; i-- ) @@ level loop @@ pt_mapping_level never picks a 1 GiB level
level-nr-off-by-one @@ (nr >= BIT(XEN_PT_LEVEL_ORDER(i), UL)) ) @@ (nr > BIT(XEN_PT_LEVEL_ORDER(i), UL)) ) @@ level loop @@ pt_mapping_level needs one page more than a superpage
level-ignores-vfn @@ mask |= vfn; @@ ; @@ level loop @@ pt_mapping_level ignores the virtual address's alignment
loop-left-by-one @@ left -= (1UL << order); @@ left -= 1; @@ loop @@ the loop counts one page per iteration whatever the level
loop-mfn-by-one @@ mfn = mfn_add(mfn, 1UL << order); @@ mfn = mfn_add(mfn, 1UL); @@ loop @@ the mfn advances one page per iteration whatever the level
loop-break-negative @@ if ( rc ) @@ if ( rc < 0 ) @@ - @@ the loop stops only on a negative rc
no-flush @@ flush_tlb_range_va(0, 0); @@ ; @@ loop map destroy @@ the whole-TLB flush after the loop is skipped
no-fence @@ RISCV_FENCE(rw, rw); @@ ; @@ loop map destroy @@ the fence before the flush is skipped
wx-check-r @@ (flags & PTE_EXECUTABLE) ) @@ (flags & PTE_READABLE) ) @@ map modify @@ the W+X refusal tests R instead of X
no-alignment-check @@ if ( !IS_ALIGNED(virt, PAGE_SIZE) ) @@ if ( 0 ) @@ map modify @@ an unaligned virtual address is accepted
map-assert-weak @@ ASSERT(!mfn_eq(mfn, INVALID_MFN) && (flags & PTE_VALID)); @@ ASSERT(!mfn_eq(mfn, INVALID_MFN)); @@ map @@ map_pages_to_xen no longer ASSERTs PTE_VALID
destroy-empty-range @@ return s < e ? pt_update( @@ return s <= e ? pt_update( @@ destroy @@ destroy_xen_mappings accepts s == e
"""


def parse_table(text: str, units: Optional[dict] = None) -> tuple[Mutant, ...]:
    names = UNITS if units is None else units
    out = []
    for line in text.strip().splitlines():
        ident, old, new, us, what = (f.strip() for f in line.split(" @@ "))
        ident, _, nth = ident.partition("#")
        out.append(Mutant(ident, what, old, new, tuple(names[u] for u in us.split() if u != "-"),
                          int(nth or 0)))
    return tuple(out)


MUTANTS: tuple[Mutant, ...] = parse_table(TABLE)

#: one-line mutants of upstream RISC-V p2m.c for its set-entry and range units
#: (proofs/refine/p2m.py; tests/test_lift_p2m.py runs each against its unit)
P2M_VERSION = "riscv-p2m-upstream"
P2M_UNITS = {"entry2": "p2m_set_entry level 2", "range": "p2m_set_range loop iteration",
             "prologue": "p2m_set_range prologue"}
P2M_TABLE = """
set-entry-no-flush#1 @@ p2m->need_flush = true; @@ ; @@ entry2 @@ p2m_set_entry leaves need_flush unset after writing the entry
set-entry-free-on-new-mfn-only @@ (!pte_is_valid(*entry) || @@ ( @@ entry2 @@ a VALID -> INVALID write frees the old entry only when its MFN bits change
range-left-by-one @@ left -= BIT(order, UL); @@ left -= 1; @@ range @@ the range loop counts one frame per chunk whatever its order
range-mfn-fixed @@ smfn = mfn_add(smfn, BIT(order, UL)); @@ ; @@ range @@ the mfn does not advance with the gfn
range-stops-at-one @@ while ( left ) @@ while ( left > 1 ) @@ prologue range @@ the loop leaves the last frame unmapped (and returns 1)
range-break-negative @@ if ( rc ) @@ if ( rc < 0 ) @@ range @@ the loop goes on after a positive rc (the unit's rc is any int)
"""
P2M_MUTANTS: tuple[Mutant, ...] = parse_table(P2M_TABLE, P2M_UNITS)

#: survivors and why no obligation can tell them from the real code
EQUIVALENT = {
    "loop-break-negative": "pt_update_entry returns 0 or a negative errno, never a positive value: "
                           "`if ( rc < 0 )` is `if ( rc )` on every value it can return",
}


def run_mutant(m: Mutant, text: str, tmp: Path, timeout_ms: int, cc: Optional[str]) -> dict:
    from proofs.refine.run import refine
    d = tmp / m.id
    d.mkdir()
    (d / "pt.c").write_text(m.apply(text), encoding="utf-8")
    t = time.monotonic()
    results = refine(VERSION, d / "pt.c", timeout_ms=timeout_ms, cc=cc, only=m.units, minimize=True) \
        if m.units else []
    if not any(r.verdict == VIOLATED for r in results):  # then every other unit
        done = {r.operation for r in results}
        results += [r for r in refine(VERSION, d / "pt.c", timeout_ms=timeout_ms, cc=cc)
                    if r.operation not in done]
    killed = [r for r in results if r.verdict == VIOLATED]
    unknown = [r.operation for r in results if r.verdict == UNKNOWN]
    return {"id": m.id, "killed_by": [r.operation for r in killed], "unknown": unknown,
            "seconds": time.monotonic() - t, "example": killed[0] if killed else None}


def verdict(m: Mutant, out: dict) -> tuple[str, bool]:
    """(one line, acceptable?)"""
    if out["killed_by"]:
        unexpected = m.id in EQUIVALENT or (m.units and not set(m.units) & set(out["killed_by"]))
        r = out["example"]
        line = f"killed    {m.id:<26} by {', '.join(out['killed_by'])}  ({r.detail}; input {r.counterexample['inputs']})"
        return line, not unexpected
    if m.id in EQUIVALENT:
        return f"survives  {m.id:<26} (equivalent: {EQUIVALENT[m.id]})", True
    if out["unknown"]:
        return f"unknown   {m.id:<26} ({', '.join(out['unknown'])})", False
    return f"SURVIVES  {m.id:<26} ({m.what}): no obligation tells it apart", False


def main(argv: Optional[Sequence[str]] = None) -> int:
    from proofs.refine.sources import versions_at_hand
    p = argparse.ArgumentParser(prog="python -m proofs.refine.mutants", description=__doc__.split("\n\n")[0])
    p.add_argument("--c-source", help="upstream pt.c (default ../shared/xen/upstream/...)")
    p.add_argument("--only", help="comma list of mutant ids")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per solver query")
    p.add_argument("--cc", help="compiler (default zig's clang)")
    args = p.parse_args(argv)
    try:
        src = Path(args.c_source) if args.c_source else versions_at_hand().get(VERSION)
        if src is None or not src.is_file():
            raise UsageError(f"{src or 'upstream pt.c'}: no such C file (pass --c-source)")
        chosen = list(MUTANTS)
        if args.only:
            ids = [x.strip() for x in args.only.split(",") if x.strip()]
            require_known("mutant", ids, [m.id for m in MUTANTS])
            chosen = [m for m in MUTANTS if m.id in ids]
        text = src.read_text(encoding="utf-8", errors="replace")
        ok, unknown = True, False
        with tempfile.TemporaryDirectory(prefix="ptprove-mutants-") as tmp:
            for m in chosen:
                out = run_mutant(m, text, Path(tmp), int(args.timeout * 1000), args.cc)
                line, fine = verdict(m, out)
                print(f"{line}  [{out['seconds']:.1f} s]", flush=True)
                ok, unknown = ok and fine, unknown or bool(out["unknown"])
    except PtproveError as e:
        print(f"ptprove: error: {e}", file=sys.stderr)
        return e.status
    return EXIT_OK if ok else (EXIT_SOLVER if unknown else EXIT_MISMATCH)


if __name__ == "__main__":
    sys.exit(main())
