"""`ptprove review PATCH`: a patch as posted to xen-devel in, a reviewer's reply out.

    ptprove review patch.mbox
    ptprove review - --format mail < archive-page.txt

PATCH is an mbox, `git format-patch` output or a list-archive page's text (`-`:
standard input).  Its unified diffs are applied to a copy of the base tree
(`--xen-src`, default ../shared/xen/upstream) in a temporary directory
(`proofs/patch.py`); for every file ptprove models as C (RISC-V `pt.c`) the
patched C is lifted and (1) compared unit by unit with the base version's model
(`ptprove diff`), (2) decided as a riscv-pt version of its own on every riscv-pt
invariant (`prove --c-source`), each verdict beside the base version's.  Files
it models only as Python (p2m, fixmap, Arm) and files it does not model are
listed as such.

Exit status: 0 the patch breaks no invariant the base keeps; 1 it breaks one;
2 the patch cannot be read or a hunk to a modelled C file does not apply (or
other bad input); 3 a solver did not decide.
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from proofs import c_header, mail as m
from proofs import patch as P
from proofs.engine.result import NOT_INDUCTIVE, PROVED, UNKNOWN, VIOLATED, Result
from proofs.errors import EXIT_MISMATCH, EXIT_OK, EXIT_SOLVER, UsageError, require_known
from proofs.outputs import check_file

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TREE = ROOT.parent / "shared" / "xen" / "upstream"
COUNTEREXAMPLES = ROOT / "counterexamples"
PT_C = "xen/arch/riscv/pt.c"
ASM = "xen/arch/riscv/include/asm/"
#: headers whose definitions the C harness takes from the tree (proofs/c_header.py)
HARNESS_HEADERS = tuple(ASM + h for h in c_header.HEADERS)
#: files ptprove models as Python but cannot lift as C yet: path -> the systems that model them
MODELLED_NOT_C = {
    "xen/arch/riscv/p2m.c": "riscv-p2m (p2m)",
    "xen/arch/riscv/mm.c": "riscv-fixmap (set_fixmap, clear_fixmap)",
    ASM + "p2m.h": "riscv-p2m (p2m)",
    ASM + "fixmap.h": "riscv-fixmap",
    ASM + "config.h": "riscv-fixmap (the layout)",
    "xen/arch/arm/mmu/pt.c": "arm-pt",
    "xen/arch/arm/mmu/p2m.c": "arm-p2m (p2m)",
    "xen/arch/arm/p2m.c": "arm-p2m (p2m)",
    "xen/arch/arm/include/asm/lpae.h": "arm-lpae (encodings)",
    "xen/arch/arm/include/asm/page.h": "arm-pt",
    "xen/arch/arm/include/asm/p2m.h": "arm-p2m (p2m)",
}
C_NAME = "riscv-pt-patched"
SKIPPED = ("refines",)  # the semantic diff below is the C's units against the base


def register(sub) -> None:
    p = sub.add_parser("review", help="a patch as posted in, a reviewer's reply out",
                       description=__doc__.split("\n\n")[0] + " " + __doc__.split("\n\n")[2].replace("\n", " "),
                       epilog=__doc__.split("\n\n")[3].replace("\n", " "))
    p.add_argument("patch", metavar="PATCH", help="mbox, git format-patch or list-archive text; - for stdin")
    p.add_argument("--xen-src", metavar="DIR", default=None,
                   help="the tree the patch applies to (default ../shared/xen/upstream)")
    p.add_argument("--base", metavar="VERSION", default=None,
                   help="the modelled version the patched C is compared with (default: the one whose "
                        "pt.c the base tree has)")
    p.add_argument("--format", choices=("text", "mail"), default="text",
                   help="text (default) or a plain-text reply of at most 72 columns")
    p.add_argument("--json", metavar="FILE", help="write the whole review as JSON")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    p.add_argument("--timeout", type=int, default=300, help="seconds per solver query (default 300)")
    p.add_argument("--cc", default=None, help="compiler for the lifted IR (default: zig's clang)")
    p.set_defaults(run=run)


# ---------------------------------------------------------------------------
# what the review found

@dataclass
class FileRow:
    path: str
    status: str  # what applying did
    kind: str  # "C", "harness header", "modelled, not as C", "not modelled"
    note: str = ""
    rejected: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"path": self.path, "status": self.status, "kind": self.kind, "note": self.note,
                "rejected_hunks": self.rejected}


@dataclass
class Invariant:
    id: str
    statement: str
    patched: str
    base: Optional[str]
    change: str  # "broken", "fixed", "same", "undecided", "weakened"
    trace: Optional[dict] = None  # the shortest violated result's counterexample
    operations: list[str] = field(default_factory=list)
    established_by: str = ""

    def to_json(self) -> dict:
        return {"id": self.id, "statement": self.statement, "patched": self.patched, "base": self.base,
                "change": self.change, "violated_in": self.operations, "established_by": self.established_by,
                "trace": self.trace}


@dataclass
class CReview:
    path: str
    base: str
    base_why: str
    flavour: str
    flavour_why: str
    header: str
    sha256: str = ""
    diff: list[Result] = field(default_factory=list)
    invariants: list[Invariant] = field(default_factory=list)
    bounds: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def changed(self) -> list[Result]:
        return [r for r in self.diff if r.verdict != PROVED]

    def to_json(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "base": self.base, "base_why": self.base_why,
                "header_and_contract_of": self.flavour, "why": self.flavour_why, "header": self.header,
                "bounds": self.bounds, "seconds": round(self.seconds, 1),
                "behaviour": [r.to_json() for r in self.diff],
                "invariants": [i.to_json() for i in self.invariants]}


# ---------------------------------------------------------------------------

def _read(arg: str) -> tuple[str, str]:
    if arg == "-":
        return sys.stdin.read(), "<stdin>"
    p = Path(arg)
    if not p.is_file():
        raise UsageError(f"{arg}: no such patch file")
    try:
        return p.read_text(encoding="utf-8", errors="replace"), arg
    except OSError as e:
        raise UsageError(f"{arg}: cannot read: {e.strerror or e}") from None


def classify(path: str) -> tuple[str, str]:
    if path == PT_C:
        return "C", "riscv-pt: lifted from LLVM IR and checked"
    if path in HARNESS_HEADERS:
        return "harness header", "its PTE_*, PAGE_HYPERVISOR_*, pte_* build the lifted pt.c"
    if path in MODELLED_NOT_C:
        return "modelled, not as C", (f"{MODELLED_NOT_C[path]} models it by hand; its C is not lifted "
                                      "yet, so this patch's change to it is not checked")
    return "not modelled", "ptprove does not model this file"


def _lines(p: Path) -> list[str]:
    return p.read_text(encoding="utf-8", errors="replace").splitlines()


def nearest(c_file: Path, at_hand: dict[str, Path]) -> tuple[str, int]:
    """The modelled version whose pt.c differs from `c_file` in the fewest lines."""
    mine = _lines(c_file)
    best = None
    for version, path in at_hand.items():
        theirs = _lines(path)
        n = sum(1 for d in difflib.ndiff(theirs, mine) if d[:1] in "+-")
        if best is None or n < best[1]:
            best = (version, n)
    if best is None:
        raise UsageError("no modelled pt.c at hand (../shared/xen and seed 000 are missing)")
    return best


def run(args: argparse.Namespace) -> int:
    clock = time.perf_counter()
    check_file(args.json, "--json")
    if args.timeout < 1:
        raise UsageError("--timeout must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    from proofs.refine.run import VERSIONS as C_VERSIONS

    if args.base is not None:
        require_known("--base version", [args.base], C_VERSIONS)
    text, where = _read(args.patch)
    patch = P.read(text, where)
    tree = Path(args.xen_src) if args.xen_src else (DEFAULT_TREE if DEFAULT_TREE.is_dir() else None)
    if tree is not None and not tree.is_dir():
        raise UsageError(f"--xen-src {args.xen_src}: not a directory")
    with tempfile.TemporaryDirectory(prefix="ptprove-review-") as tmp:
        out = review(patch, tree, Path(tmp), args)
        out["seconds"] = round(time.perf_counter() - clock, 1)
        status = out["exit_status"]
        print(render_mail(out) if args.format == "mail" else render_text(out), end="")
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return status


def review(patch: P.Patch, tree: Optional[Path], tmp: Path, args: argparse.Namespace) -> dict:
    """Apply, classify, check every modelled C file; the review as a JSON-able dict."""
    applied = P.apply(patch, tree, tmp / "tree")
    rows = []
    for path in patch.paths:
        kind, note = classify(path)
        rej = applied.rejected_in(path)
        status = applied.written.get(path) or ("does not apply" if rej else "unchanged")
        rows.append(FileRow(path, status, kind, note, [r.line() for r in rej]))
    for row in rows:
        if row.kind == "C" and row.rejected:
            more = f" (and {len(row.rejected) - 1} more)" if len(row.rejected) > 1 else ""
            raise UsageError(f"{row.rejected[0]}{more}")
    checked = []
    touches = {r.path for r in rows if r.status != "does not apply"}
    pt_c = applied.root / PT_C
    if PT_C in touches or touches & set(HARNESS_HEADERS):
        if applied.written.get(PT_C) == "deleted" or not pt_c.is_file():
            for row in rows:
                if row.path == PT_C:
                    row.note = "deleted: nothing to check"
        else:
            checked.append(check_c(pt_c, rows, tree, args))
    broken = [i for c in checked for i in c.invariants if i.change in ("broken", "weakened")]
    undecided = [i for c in checked for i in c.invariants if i.change == "undecided"] + \
        [r for c in checked for r in c.diff if r.verdict == UNKNOWN]
    status = EXIT_MISMATCH if broken else EXIT_SOLVER if undecided else EXIT_OK
    return {"format": "ptprove-review", "format_version": 1, "subject": patch.subject,
            "base_tree": str(tree) if tree else None, "files": [r.to_json() for r in rows],
            "checked": [c.to_json() for c in checked], "exit_status": status}


def check_c(pt_c: Path, rows: list[FileRow], tree: Optional[Path], args: argparse.Namespace) -> CReview:
    """The patched pt.c: its header, base and flavour, the semantic diff, the invariants."""
    from proofs.refine.sources import versions_at_hand

    t0 = time.perf_counter()
    at_hand = versions_at_hand()
    headers_bad = [r for r in rows if r.kind == "harness header" and r.rejected]
    if headers_bad:  # a header the patch could not be applied to is not the patched header
        for h in HARNESS_HEADERS:
            (pt_c.parents[0] / h.removeprefix("xen/arch/riscv/")).unlink(missing_ok=True)
    flavour, n = nearest(pt_c, at_hand)
    flavour_why = (f"the modelled pt.c nearest the patched one ({n} lines differ)" if n
                   else "its pt.c is the patched one")
    found = c_header.tree_header(pt_c)
    if found is not None:
        header = c_header.TreeHeader([Path(str(p).replace(str(pt_c.parents[3]) + "/", ""))
                                      for p in found.files], "", found.macros, found.functions).describe()
        header = header.replace(" from ", " from the patched tree's ", 1)
    else:
        header = (f"asm/page.h definitions of {flavour}, restated by the shim (proofs/c/ptprove_shim.h)"
                  + (f": the patch's hunks to {', '.join(r.path.removeprefix(ASM) for r in headers_bad)} "
                     "do not apply to this tree" if headers_bad else ": no asm/page.h in the tree"))
    for row in rows:
        if row.kind == "harness header" and headers_bad:
            row.note = (f"not used: {'its' if row.rejected else 'with'} hunks to "
                        f"{', '.join(r.path.removeprefix(ASM) for r in headers_bad)} not applied, the "
                        f"asm/page.h definitions are {flavour}'s (the modelled pt.c nearest the patched one)")
    if args.base:
        base, base_why = args.base, "--base"
    else:
        base_pt = (tree / PT_C) if tree is not None else None
        if base_pt is not None and base_pt.is_file():
            digest = hashlib.sha256(base_pt.read_bytes()).hexdigest()
            same = [v for v, p in at_hand.items() if hashlib.sha256(p.read_bytes()).hexdigest() == digest]
            if same:
                base, base_why = same[0], f"the base tree's pt.c is {same[0]}'s"
            else:
                base, k = nearest(base_pt, at_hand)
                base_why = f"the modelled pt.c nearest the base tree's ({k} lines differ)"
        else:
            base, base_why = "riscv-pt-upstream", "the base tree has no pt.c: the newest modelled version"
    rv = CReview(str(PT_C), base, base_why, flavour, flavour_why, header,
                 sha256=hashlib.sha256(pt_c.read_bytes()).hexdigest())
    rv.diff = semantic_diff(pt_c, flavour, base, args)
    rv.invariants, rv.bounds = invariants(pt_c, flavour, base, args)
    rv.seconds = time.perf_counter() - t0
    return rv


def semantic_diff(pt_c: Path, flavour: str, base: str, args: argparse.Namespace) -> list[Result]:
    """`ptprove diff --c-source pt.c --against base` (the C built with `flavour`'s shim)."""
    from proofs.refine.check import prove
    from proofs.refine.run import obligations, setup_for

    setup = setup_for(flavour, pt_c, args.cc, against=base)
    return [prove(setup, ob, timeout_ms=min(args.timeout, 60) * 1000, minimize=True)
            for ob in obligations(setup)]


def _trace_candidates(tmp: Path, versions: list[str]) -> tuple[Optional[str], dict]:
    """A certificates directory for the patched C: the committed traces of `versions`
    (first wins), each replayed on the lifted C before it stands for a verdict; and
    (obligation, operation) -> the version whose trace it is."""
    from proofs.engine import certificates

    merged: dict[str, dict] = {}
    origin: dict[tuple[str, str], str] = {}
    for v in versions:
        for (o, op), t in certificates.load(str(COUNTEREXAMPLES), v).items():
            if op not in merged.setdefault(o, {}):
                merged[o][op], origin[(o, op)] = t, v
    if not merged:
        return None, origin
    d = tmp / C_NAME
    d.mkdir(parents=True, exist_ok=True)
    (d / certificates.FILE).write_text(certificates.dumps({
        "format": certificates.FORMAT, "format_version": certificates.FORMAT_VERSION, "system": "riscv-pt",
        "version": C_NAME, "traces": merged}), encoding="utf-8")
    return str(tmp), origin


def invariants(pt_c: Path, flavour: str, base: str, args: argparse.Namespace) -> tuple[list[Invariant], dict]:
    """Every riscv-pt invariant on the patched C (`prove --c-source`), beside the base's
    expected verdicts (proofs/expectations.json, what `make prove` checks)."""
    from model.c.ir import UnsupportedIR
    from proofs import systems
    from proofs.engine import Settings
    from proofs.engine.workers import pool_for
    from proofs.progress import Progress
    from proofs.systems.riscv_pt.c_version import CSpec, c_version, register, unregister

    s = systems.system("riscv-pt")
    wanted = [o for o in s.obligations if o not in SKIPPED]
    spec = CSpec(str(pt_c), C_NAME, flavour)
    try:
        c_version(spec, Settings.mode, Settings.pool).warm()
    except UnsupportedIR as e:
        raise UnsupportedIR(f"{PT_C} (patched): {e}") from None
    register(spec)
    try:
        certs, origin = _trace_candidates(pt_c.parents[4] / "traces", list(dict.fromkeys([flavour, base])))
        settings = Settings(timeout_ms=args.timeout * 1000, jobs=args.jobs or 0, c_source=str(pt_c),
                            c_versions=((str(pt_c), C_NAME, flavour),), certificates=certs)
        with pool_for(settings) as pool:
            decision = s.decision([C_NAME], wanted, settings, pool)
            if sys.stderr.isatty():  # a transient bar; stdout is the review alone
                with Progress(stream=sys.stderr, tty=True, versions=[C_NAME], systems=1) as progress, \
                        progress.running(s.id, f"{len(wanted)} invariants") as finished:
                    results = decision.results(progress.callback)
                    finished += results
            else:
                results = decision.results()
        out = compare(results, wanted, base, origin, settings, pt_c.parents[3])
    finally:
        unregister(C_NAME)
    bounds = dict(results[0].bounds) if results else {}
    bounds["solver"] = results[0].solver if results else "z3"
    return out, bounds


def compare(results: list[Result], wanted: list[str], base: str, origin: dict, settings,
            tree: Path) -> list[Invariant]:
    """Per invariant: the patched C's verdict beside the base's expected one; a broken one's
    shortest trace made a canonical, shrunk vector, replayed on the compiled patched C."""
    from proofs.cmd_prove import EXPECTATIONS
    from proofs.expectations import aggregate, load_expectations
    from proofs.systems.riscv_pt import show, vectors as rv
    from proofs.vector import VectorError
    from proofs.systems.riscv_pt.machine import machine

    expected = load_expectations(EXPECTATIONS)
    by_inv = {a.invariant: a for a in aggregate(results).values()}
    broken = [o for o, a in by_inv.items() if a.verdict == VIOLATED
              and (expected.get(base, o) is None or expected.get(base, o).verdict != VIOLATED)]
    try:  # as `prove --vectors` makes them: a searched trace found again in a fresh process
        canonical = {v["obligation"]["id"]: v for v in
                     rv.from_results([r for r in results if r.invariant in broken], settings)}
    except VectorError:  # one does not replay on the compiled C: each is made below, and says so
        canonical = {}
    out = []
    for oid in wanted:
        agg = by_inv.get(oid)
        if agg is None:
            continue
        mine = agg.verdict
        exp = expected.get(base, oid)
        theirs = exp.verdict if exp else None
        if mine == UNKNOWN:
            change = "undecided"
        elif theirs is None or mine == theirs:
            change = "same"
        elif mine == VIOLATED:
            change = "broken"
        elif mine == PROVED:
            change = "fixed"
        elif mine == NOT_INDUCTIVE and theirs == PROVED:
            change = "weakened"
        else:
            change = "changed"
        violated = [r for r in agg.results if r.verdict == VIOLATED and "replay" in r.extra]
        shortest = min(violated, key=lambda r: (r.extra.get("trace_steps", 99), r.operation), default=None)
        inv = Invariant(oid, agg.results[0].statement, mine, theirs, change,
                        operations=[r.operation for r in violated])
        if shortest is not None:
            of = origin.get((oid, shortest.extra.get("operation_key")), "?")
            inv.established_by = (f"replaying {of}'s committed trace on the patched C"
                                  if shortest.extra.get("established_by") == "committed trace"
                                  else "the search (BMC) on the patched C")
            inv.trace = {"result": shortest.counterexample}
            if change == "broken":
                m_ = machine(C_NAME, settings)
                vec = canonical.get(oid) or rv.vector_of_trace(m_.v, oid, shortest.extra["replay"],
                                                               {**m_.bounds()}, shortest.solver)
                compiled = m_.v.replay_compiled(rv.calls_of(vec))
                vec["source"] = vec["source"].replace(str(tree) + "/", "")
                text = show.mail(vec)
                vec["bounds"]["c_file"] = PT_C + " (patched)"  # the temporary tree is gone after the run
                inv.trace = {"vector": vec, "compiled_c": compiled, "mail": text,
                             "result": shortest.counterexample}
        out.append(inv)
    return out


# ---------------------------------------------------------------------------
# rendering

def _diff_lines(r: dict) -> list[str]:
    """A unit whose behaviour changed: the input and both sides' outputs."""
    bad = [c["claim"] for c in r["extra"].get("claims", []) if c["verdict"] != PROVED]
    word = "DIFFERS" if r["verdict"] == VIOLATED else "UNKNOWN"
    out = [f"{r['operation']}: {word} ({', '.join(bad)})"]
    cex = r.get("counterexample")
    if cex:
        out.append("input: " + " ".join(f"{k}={v}" for k, v in cex["inputs"].items()))
        if cex.get("memory"):
            out.append("memory read: " + " ".join(f"{k}={v}" for k, v in cex["memory"].items()))
        for name, both in cex["replay"]["outputs"].items():
            if both["C"] != both["model"] and "-" not in (both["C"], both["model"]):
                out.append(f"{name}: patched {both['C']}, base {both['model']}")
        whole = cex.get("whole_call")
        if whole:
            out.append(f"{whole['call']}: compiled patched C {whole['compiled C (harness)']}, "
                       f"base model {whole['model']}")
    elif r.get("detail"):
        out.append(r["detail"])
    return out


def _call_text(c: dict) -> str:
    return f"{c['function']}(" + ", ".join(f"{k}={v}" for k, v in c["args"].items()) + ")"


def _compiled_line(c: dict) -> str:
    if c.get("replayed"):
        return (f"Replayed on the patched C compiled with {c['compiler']} (the C harness): the same "
                "return codes, tables, table pages and TLB.")
    return "NOT reproduced on the compiled patched C: " + (c.get("why") or "; ".join(c.get("differences", [])))


def _finding(inv: dict, base: str) -> tuple[str, list[str]]:
    """A broken invariant's head line and its vector's mail text (72 columns)."""
    head = (f"{inv['id']} BROKEN ({inv['base']} on {base}): found by {inv['established_by']}, "
            "then shrunk:")
    t = inv["trace"]
    return head, t["mail"].rstrip("\n").splitlines() + [""] + m.para(_compiled_line(t["compiled_c"]))


CHANGE_WORDS = {"broken": "BROKEN", "fixed": "fixed", "same": "same", "undecided": "UNDECIDED",
                "weakened": "NO LONGER PROVED", "changed": "changed"}


def render_text(out: dict) -> str:
    lines = [f"ptprove review: {out['subject']}",
             f"applied to a copy of {out['base_tree'] or 'an empty tree'}", "", "files:"]
    width = max([len(f["path"]) for f in out["files"]] + [10])
    for f in out["files"]:
        lines.append(f"  {f['path']:<{width}}  {f['status']}; {f['kind']}: {f['note']}")
        lines += [f"      {r.split(': ', 1)[1]}" for r in f["rejected_hunks"]]
    for c in out["checked"]:
        b = c["bounds"]
        lines += ["", f"{c['path']} (patched, sha256 {c['sha256'][:12]}): base {c['base']} ({c['base_why']}); "
                      f"header and caller contract of {c['header_and_contract_of']} ({c['why']})",
                  f"  header: {c['header']}"]
        changed = [r for r in c["behaviour"] if r["verdict"] != PROVED]
        same = [r["operation"] for r in c["behaviour"] if r["verdict"] == PROVED]
        lines.append(f"  behaviour against the model {c['base']} (ptprove diff): "
                     f"{len(changed)} of {len(c['behaviour'])} units differ")
        for r in changed:
            first, *rest = _diff_lines(r)
            lines.append(f"    {first}")
            lines += [f"        {x}" for x in rest]
        if same:
            lines.append(f"    same: {', '.join(same)}")
        lines.append(f"  invariants on the patched C (prove --c-source; {b.get('mode')}, pool {b.get('pool')}, "
                     f"depth {b.get('depth')}, {b.get('solver')}), beside {c['base']}'s expected verdicts:")
        iw = max([len(i["id"]) for i in c["invariants"]] + [9])
        lines.append(f"    {'invariant':<{iw}}  {'patched':<13}  {c['base']:<17}  change")
        for i in c["invariants"]:
            lines.append(f"    {i['id']:<{iw}}  {i['patched']:<13}  {i['base'] or '-':<17}  "
                         f"{CHANGE_WORDS[i['change']]}")
        for i in c["invariants"]:
            if i["change"] not in ("broken", "fixed", "weakened", "undecided"):
                continue
            if i["change"] == "broken" and i["trace"] and "mail" in i["trace"]:
                head, body = _finding(i, c["base"])
                lines += ["", f"  {head}"] + [f"    {x}".rstrip() for x in body]
                continue
            lines += ["", f"  {i['id']} {CHANGE_WORDS[i['change']]}: {i['statement']}",
                      f"    {i['patched']} on the patched C, {i['base']} on {c['base']}"]
    lines += ["", _verdict_line(out), f"({out.get('seconds', 0)} s)"]
    return "\n".join(lines) + "\n"


def _verdict_line(out: dict) -> str:
    broken = [f"{i['id']}" for c in out["checked"] for i in c["invariants"] if i["change"] in ("broken", "weakened")]
    fixed = [i["id"] for c in out["checked"] for i in c["invariants"] if i["change"] == "fixed"]
    if not out["checked"]:
        return "No file the patch changes is modelled as C: nothing checked (exit 0)."
    parts = [f"breaks {', '.join(broken)}" if broken else "breaks no invariant the base keeps"]
    if fixed:
        parts.append(f"fixes {', '.join(fixed)}")
    changed = sum(1 for c in out["checked"] for r in c["behaviour"] if r["verdict"] != PROVED)
    parts.append(f"changes the behaviour of {changed} unit{'s' if changed != 1 else ''}")
    return "The patch " + "; ".join(parts) + f" (exit {out['exit_status']})."


def render_mail(out: dict) -> str:
    subject = out["subject"]
    blocks: list[list[str]] = [m.para(f"Subject: Re: {subject}")]
    blocks.append(m.para(f"I ran ptprove on \"{subject}\", applied to a copy of "
                         f"{Path(out['base_tree']).name + ' Xen' if out['base_tree'] else 'an empty tree'}."))
    files = []
    for f in out["files"]:
        files += m.para(f"> {f['path']}: {f['status']}", 0, 4)
        files += m.para(f"{f['kind']}: {f['note']}", 4, 2)
        files += [ln for r in f["rejected_hunks"] for ln in m.para(r.split(": ", 1)[1], 6, 2)]
    blocks.append(files)
    for c in out["checked"]:
        b = c["bounds"]
        head = m.para(f"{c['path']}, patched, against {c['base']} ({c['base_why']}); header and caller "
                      f"contract of {c['header_and_contract_of']}.")
        head += m.field("Header", c["header"])
        head += m.field("Bounds", f"{b.get('mode')}, a pool of {b.get('pool')} table pages, depth "
                                  f"{b.get('depth')} steps, {b.get('solver')}")
        blocks.append(head)
        changed = [r for r in c["behaviour"] if r["verdict"] != PROVED]
        beh = m.para(f"Behaviour: {len(changed)} of {len(c['behaviour'])} units differ from {c['base']}'s "
                     "model (shortest input each):")
        for r in changed:
            first, *rest = _diff_lines(r)
            beh += m.para(f"- {first}", 2, 2)
            for x in rest:
                beh += m.para(x, 4, 4)
        blocks.append(beh)
        for i in c["invariants"]:
            if i["change"] not in ("broken", "weakened", "fixed", "undecided"):
                continue
            if i["change"] == "broken" and i["trace"] and "mail" in i["trace"]:
                head, body = _finding(i, c["base"])
                blocks.append(m.para(head) + [""] + body)
                continue
            blk = m.field("Invariant", f"{i['id']}: {i['statement']}")
            blk += m.field("Verdict", f"{i['patched']} on the patched C, {i['base'] or 'no verdict'} on "
                                      f"{c['base']} ({CHANGE_WORDS[i['change']]})")
            blocks.append(blk)
    blocks.append(m.para(_verdict_line(out)) + m.para(f"(ptprove review, {out.get('seconds', 0)} s)"))
    return m.compose(blocks)
