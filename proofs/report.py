"""What a run prints and writes: the verdict matrix, JSON and JUnit reports.

The matrix is rendered with rich; in a terminal the cells are coloured, in a
CI log (not a TTY) the same content comes out as plain ASCII with no escape
sequences.  A real counterexample (a trace from the initial state) and a
failed induction step (a state that may be unreachable) are always worded
differently.
"""
from __future__ import annotations

import io
import json
import os
import platform
import xml.etree.ElementTree as ET
from importlib import metadata
from typing import Any, Iterable, Optional, Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from proofs.expectations import VACUOUS, Aggregate, Difference, Pair, aggregate, member_label
from proofs.engine.result import NOT_INDUCTIVE, PROVED, UNKNOWN, VIOLATED, Result

CELL = {PROVED: "proved", VIOLATED: "VIOLATED", NOT_INDUCTIVE: "not-inductive", UNKNOWN: "UNKNOWN"}
STYLE = {PROVED: "green", VIOLATED: "bold red", NOT_INDUCTIVE: "yellow", UNKNOWN: "bold magenta"}
DIFFERS = " *"  # appended to a cell whose verdict differs from the expectations
SOLVER_PACKAGES = {"z3": "z3-solver", "cvc5": "cvc5"}
UNWRAPPED = 10_000  # the matrix keeps its natural width: a cropped cell would hide a verdict


# ---------------------------------------------------------------------------
# text pieces shared by the matrix, JUnit and JSON

def column_order(invariants: Iterable[str]) -> list[str]:
    """The systems' obligation order (enc-* first), then anything else as seen."""
    from proofs.systems import all_obligations

    seen = list(dict.fromkeys(invariants))
    known = list(all_obligations())
    return [i for i in known if i in seen] + [i for i in seen if i not in known]


def _fmt_values(key: str, values: list[Any]) -> str:
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values) and len(values) > 2 \
            and sorted(values) == list(range(min(values), max(values) + 1)):
        shown = f"{min(values)}-{max(values)}"
    else:
        shown = "/".join(str(v) for v in values)
    return f"depth {shown} steps" if key == "depth" else f"{key} {shown}"


def bounds_summary(results: Iterable[Result]) -> str:
    """Every bound the results used, key by key in first-seen order:
    "mode sv39, levels 3, pool 4, depth 6 steps"."""
    values: dict[str, list[Any]] = {}
    for r in results:
        for k, v in r.bounds.items():
            if v not in values.setdefault(k, []):
                values[k].append(v)
    return ", ".join(_fmt_values(k, vs) for k, vs in values.items()) or "none"


def solver_versions(names: Iterable[str]) -> dict[str, str]:
    out = {}
    for name in dict.fromkeys(names):
        try:
            out[name] = metadata.version(SOLVER_PACKAGES.get(name, name))
        except metadata.PackageNotFoundError:
            out[name] = "?"
    return out


def bounds_text(results: Sequence[Result]) -> str:
    """The bounds, grouped into encodings and calls when a run has both."""
    groups = [("encodings", [r for r in results if r.operation == "-"]),
              ("calls", [r for r in results if r.operation != "-"])]
    groups = [(name, rs) for name, rs in groups if rs]
    if len(groups) == 1:
        return bounds_summary(groups[0][1])
    return "; ".join(f"{name}: {bounds_summary(rs)}" for name, rs in groups) or "none"


def bounds_and_solver_line(results: Sequence[Result]) -> str:
    """"bounds: encodings: ...; calls: ...; solver z3 5.4.0.0"."""
    solvers = ", ".join(f"{n} {v}" for n, v in solver_versions(r.solver for r in results).items())
    return f"bounds: {bounds_text(results)}; solver {solvers or 'none'}"


def _call_text(c: dict) -> str:
    args = ", ".join(f"{k}={v}" for k, v in c.get("args", {}).items())
    rc = str(c.get("rc", "?"))
    if rc.startswith("(in progress"):
        rc = "(in progress)"
    iters = c.get("iterations")
    loop = f" [{iters} iteration{'s' if iters != 1 else ''}]" if iters else ""
    return f"{c.get('call', '?')}({args}){loop} -> {rc}"


def _entry_text(cx: dict) -> str:
    """An encoding counterexample: the shrunk entry, what Xen and the spec say."""
    xen = ", ".join(f"{k}={str(v).lower()}" for k, v in cx.get("xen", {}).items())
    text = f"entry {cx.get('pte', '?')} ({cx.get('class', '?')}): {xen}; spec: {cx.get('kind', '?')}"
    more = [c["class"] for c in cx.get("classes", [])[1:]]
    return text + (f"; also {', '.join(more)}" if more else "")


def not_inductive_text(r: Result) -> str:
    depth = r.bounds.get("depth", "?")
    return ("NOT INDUCTIVE: counterexample to the step only (a state that may be unreachable); "
            f"no trace from the initial state within {depth} steps")


def trace_summary(r: Result) -> str:
    """One line: the trace (violated), the failed step (not-inductive) or why undecided."""
    cx = r.counterexample or {}
    if r.verdict == NOT_INDUCTIVE:
        return not_inductive_text(r)
    if r.verdict == UNKNOWN:
        return f"UNKNOWN: {r.detail or 'the solver did not decide'}"
    if r.verdict == PROVED:
        return f"proved{': ' + r.detail if r.detail else ''}"
    if cx.get("calls"):
        return "trace: " + "; ".join(_call_text(c) for c in cx["calls"])
    if "pte" in cx:
        return _entry_text(cx)
    return f"counterexample: {r.detail or 'none recorded'}"


def _by_pair(differences: Iterable[Difference]) -> dict[Pair, list[Difference]]:
    out: dict[Pair, list[Difference]] = {}
    for d in differences:
        out.setdefault(d.pair, []).append(d)
    return out


def _representative(agg: Aggregate) -> Result:
    """The member a summary shows: the first deciding one with a counterexample."""
    deciding = agg.deciding()
    return next((r for r in deciding if r.counterexample), deciding[0])


def headline(r: Result) -> str:
    """The statement and where it is defined, when the result carries them."""
    return f"{r.statement} ({r.where})" if r.statement else r.where or r.invariant


def finding_line(agg: Aggregate) -> str:
    """A violated or not-inductive (variant, invariant) in one line."""
    r = _representative(agg)
    where = ", ".join(member_label(m) for m in agg.deciding())
    return (f"{agg.variant} {agg.invariant} {CELL[agg.verdict]} in {where}: "
            f"{headline(r)}; {trace_summary(r)}")


# ---------------------------------------------------------------------------
# the terminal / CI log report

def _console(tty: bool, buf: io.StringIO) -> Console:
    return Console(file=buf, force_terminal=tty, no_color=not tty, color_system="standard" if tty else None,
                   highlight=False, emoji=False, width=UNWRAPPED)


def matrix(aggregates: dict[Pair, Aggregate], differences: Iterable[Difference], tty: bool) -> Table:
    """Variants (rows) by invariant ids (columns)."""
    differing = _by_pair(differences)
    pairs = [*aggregates, *differing]  # missing pairs get a (marked) cell too
    variants = list(dict.fromkeys(v for v, _ in pairs))
    columns = column_order(i for _, i in pairs)
    table = Table(box=box.SQUARE if tty else box.ASCII, show_edge=True, pad_edge=True)
    table.add_column("variant", no_wrap=True)
    for c in columns:
        table.add_column(c, no_wrap=True)
    for v in variants:
        cells: list[Text] = [Text(v)]
        for c in columns:
            agg = aggregates.get((v, c))
            mark = DIFFERS if (v, c) in differing else ""
            if agg is None:  # not run, or missing (marked)
                cells.append(Text("-" + mark))
                continue
            cells.append(Text(CELL[agg.verdict] + mark, style=STYLE[agg.verdict] if tty else ""))
        table.add_row(*cells)
    return table


def render(results: Sequence[Result], differences: Sequence[Difference], console_is_tty: bool) -> str:
    """The whole report as text: matrix, bounds and solver, differences, findings."""
    from proofs.systems import home

    aggregates = aggregate(results)
    buf = io.StringIO()
    con = _console(console_is_tty, buf)
    groups: dict[str, list] = {}
    for pair in [*aggregates, *((d.variant, d.invariant) for d in differences)]:
        groups.setdefault(home(pair[0]), []).append(pair)
    for pairs in groups.values():  # one matrix per system, with its own bounds line
        keep = set(pairs)
        con.print(matrix({k: a for k, a in aggregates.items() if k in keep},
                         [d for d in differences if (d.variant, d.invariant) in keep], console_is_tty))
        members = [r for r in results if (r.variant, r.invariant) in keep]
        if members:
            con.print(Text(bounds_and_solver_line(members)), soft_wrap=True)
    out = []
    if differences:
        out.append((f"{len(differences)} difference(s) from the expectations "
                    f"(cells marked{DIFFERS}):", "bold"))
        out += [(f"  {d.variant} {d.invariant}: {d.message}", "") for d in differences]
    else:
        out.append((f"all {len(aggregates)} verdicts match the expectations", "green"))
    findings = [a for a in aggregates.values() if a.verdict in (VIOLATED, NOT_INDUCTIVE)]
    if findings:
        out.append(("findings:", "bold"))
        out += [(f"  {finding_line(a)}", STYLE[a.verdict]) for a in findings]
    for line, style in out:
        con.print(Text(line, style=style), soft_wrap=True)
    return buf.getvalue()


# ---------------------------------------------------------------------------
# files

def build_meta(results: Sequence[Result], **extra: Any) -> dict[str, Any]:
    """The `meta` object of the JSON report: solvers and versions, bounds, total time."""
    versions = {"python": platform.python_version()}
    for pkg in ("ptprove", "pysmt"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "?"
    solvers = solver_versions(r.solver for r in results)
    return {
        "solvers": solvers,
        "versions": {**versions, **{SOLVER_PACKAGES.get(n, n): v for n, v in solvers.items()}},
        "bounds": bounds_text(results),
        "seconds": round(sum(r.seconds for r in results), 3),
        **extra,
    }


def _parent(path: str) -> None:
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)


def write_json(results: Sequence[Result], path: str, meta: dict[str, Any]) -> None:
    _parent(path)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "results": [r.to_json() for r in results]}, f, indent=2)
        f.write("\n")


def read_json(path: str) -> tuple[dict[str, Any], list[Result]]:
    """The inverse of write_json."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return data["meta"], [Result(**r) for r in data["results"]]


def _failure_of(r: Result, diffs: list[Difference]) -> Optional[str]:
    """The failure message for one test case, or None when it passes.

    Within a differing (variant, invariant) the members that fail are the ones
    the difference is about: those deciding the aggregate verdict (e.g. the
    violated operations when proved was expected) and witness-less proofs."""
    msgs = []
    for d in diffs:
        if d.kind == VACUOUS:
            if r.verdict == PROVED and r.vacuity is not True:
                msgs.append(f"{r.invariant}: proved without a vacuity witness")
        elif r.verdict == d.actual:
            msgs.append(f"{r.invariant}: {d.message}")
    return "; ".join(msgs) or None


def _testcase(suite: ET.Element, classname: str, name: str, seconds: float) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{seconds:.3f}")


def write_junit(results: Sequence[Result], differences: Sequence[Difference], path: str) -> None:
    """One testcase per Result (plus one per missing expectation); a testcase
    fails when its (variant, invariant) differs from the expectations and it is
    one of the members the difference is about.  Matching verdicts, "violated"
    included, pass."""
    diffs = _by_pair(differences)
    suite = ET.Element("testsuite", name="ptprove")
    failures = 0
    for r in results:
        name = f"{r.invariant} [{r.operation}] {bounds_summary([r])}"
        case = _testcase(suite, r.variant, name, r.seconds)
        message = _failure_of(r, diffs.get((r.variant, r.invariant), []))
        body = f"{headline(r)}\n{trace_summary(r)}"
        if message:
            failures += 1
            fail = ET.SubElement(case, "failure", message=f"{message}; {trace_summary(r)}")
            fail.text = body + (f"\n{json.dumps(r.counterexample, indent=2)}" if r.counterexample else "")
        ET.SubElement(case, "system-out").text = f"verdict: {r.verdict}\n{body}"
    for d in differences:
        if d.actual is None:  # missing: no Result to attach it to
            failures += 1
            case = _testcase(suite, d.variant, f"{d.invariant} [missing]", 0.0)
            ET.SubElement(case, "failure", message=f"{d.invariant}: {d.message}")
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("time", f"{sum(r.seconds for r in results):.3f}")
    _parent(path)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
