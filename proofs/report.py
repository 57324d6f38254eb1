"""What a run prints and writes: the verdict tables, JSON and JUnit reports.

One table per system, obligations as rows and versions as columns, at most
`WIDTH` columns wide; then the differences from the expectations (wrapped
at that width) and the findings, one line each (the whole trace is in the
JSON report and in `ptprove show`).  The tables are rendered with rich; in a terminal the cells
are coloured, in a CI log (not a TTY) the same content comes out as plain
ASCII with no escape sequences.  A real counterexample (a trace from the
initial state) and a failed induction step (a state that may be unreachable)
are always worded differently.

The JSON report's shape is `proofs/report.schema.json` (format
`ptprove-report`, `format_version`); the JUnit file names each testcase
`version :: obligation [operation]` and keeps the bounds in `<properties>`.
"""
from __future__ import annotations

import io
import json
import platform
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Optional, Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from proofs.expectations import (VACUOUS, Aggregate, Difference, Expectations, Pair, aggregate, compare,
                                 member_label)
from proofs.outputs import cannot, write_text
from proofs.engine.result import NOT_INDUCTIVE, PROVED, UNKNOWN, VIOLATED, Result

CELL = {PROVED: "proved", VIOLATED: "VIOLATED", NOT_INDUCTIVE: "not-inductive", UNKNOWN: "UNKNOWN"}
STYLE = {PROVED: "green", VIOLATED: "bold red", NOT_INDUCTIVE: "yellow", UNKNOWN: "bold magenta"}
DIFFERS = " *"  # appended to a cell whose verdict differs from the expectations
SOLVER_PACKAGES = {"z3": "z3-solver", "cvc5": "cvc5", "bitwuzla": "bitwuzla"}
WIDTH = 100  # columns of every line the report prints
REPORT_FORMAT = "ptprove-report"
REPORT_VERSION = 1
REPORT_SCHEMA = Path(__file__).with_name("report.schema.json")


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


def solvers_of(results: Iterable[Result]) -> list[str]:
    """Every solver a verdict rests on: the proofs' and, where a search ran, the search's."""
    return [name for r in results for name in (r.solver, (r.extra or {}).get("search_solver")) if name]


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
    solvers = ", ".join(f"{n} {v}" for n, v in solver_versions(solvers_of(results)).items())
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


def clip(text: str, width: int = WIDTH) -> str:
    """`text` on one line of at most `width` columns ("..." where it is cut),
    its indentation kept."""
    indent = text[:len(text) - len(text.lstrip())]
    text = indent + " ".join(text.split())
    return text if len(text) <= width else text[:width - 3].rstrip() + "..."


@dataclass(frozen=True)
class Canonical:
    """A finding's canonical vector (`prove --vectors DIR`): its file, and the
    shrunk trace it holds (the same on every run, unlike the solver's)."""

    path: str
    vector: Optional[dict] = None
    calls: Optional[list[dict]] = None  # the vector's calls in Xen's words (its plugin's `named_calls`)

    def summary(self) -> Optional[str]:
        v = self.vector or {}
        if v.get("kind") != "trace" or not v.get("calls"):
            return None
        return "trace: " + "; ".join(_call_text(c) for c in self.calls or v["calls"])


#: a finding's canonical vector, if it has one
VectorOf = Callable[[Aggregate], Optional[Canonical]]


def finding_line(agg: Aggregate, canonical: Optional[Canonical] = None) -> str:
    """A violated or not-inductive (variant, invariant): how many of its members
    (operations, or modes and levels), its canonical vector's file when there is
    one, and its trace: the vector's shrunk one, else the representative's."""
    r = _representative(agg)
    deciding = agg.deciding()
    where = member_label(r) if len(agg.results) == 1 else f"{len(deciding)} of {len(agg.results)}"
    shown = (canonical.summary() if canonical else None) or trace_summary(r)
    return (f"{agg.variant} {agg.invariant} {CELL[agg.verdict]} in {where}"
            f"{f' ({canonical.path})' if canonical else ''}: {shown}")


# ---------------------------------------------------------------------------
# the terminal / CI log report

def _console(tty: bool, buf: io.StringIO) -> Console:
    return Console(file=buf, force_terminal=tty, no_color=not tty, color_system="standard" if tty else None,
                   highlight=False, emoji=False, width=WIDTH)


def matrix(aggregates: dict[Pair, Aggregate], differences: Iterable[Difference], tty: bool) -> Table:
    """Obligations (rows) by versions (columns) of one system."""
    differing = _by_pair(differences)
    pairs = [*aggregates, *differing]  # missing pairs get a (marked) cell too
    versions = list(dict.fromkeys(v for v, _ in pairs))
    rows = column_order(i for _, i in pairs)
    table = Table(box=box.SQUARE if tty else box.ASCII, show_edge=True, pad_edge=True)
    table.add_column("obligation", no_wrap=True)
    for v in versions:
        table.add_column(v, no_wrap=True)
    for i in rows:
        cells: list[Text] = [Text(i)]
        for v in versions:
            agg = aggregates.get((v, i))
            mark = DIFFERS if (v, i) in differing else ""
            if agg is None:  # not run, or missing (marked)
                cells.append(Text("-" + mark))
                continue
            cells.append(Text(CELL[agg.verdict] + mark, style=STYLE[agg.verdict] if tty else ""))
        table.add_row(*cells)
    return table


def against_table(aggregates: dict[Pair, Aggregate], base: str, tty: bool) -> tuple[Table, int, int]:
    """The obligations where a new version's verdict differs from `base`'s:
    (table with `base` first, how many differ, how many were compared)."""
    news = list(dict.fromkeys(v for v, _ in aggregates if v != base))
    compared = [i for i in column_order(i for v, i in aggregates if v == base)
                if any((n, i) in aggregates for n in news)]
    differ = [i for i in compared
              if any((n, i) in aggregates and aggregates[(n, i)].verdict != aggregates[(base, i)].verdict
                     for n in news)]
    table = Table(box=box.SQUARE if tty else box.ASCII, show_edge=True, pad_edge=True)
    for name in ("obligation", base, *news):
        table.add_column(name, no_wrap=True)
    for i in differ:
        cells = [Text(i)]
        for v in (base, *news):
            agg = aggregates.get((v, i))
            cells.append(Text(CELL[agg.verdict], style=STYLE[agg.verdict] if tty else "") if agg else Text("-"))
        table.add_row(*cells)
    return table, len(differ), len(compared)


def render(results: Sequence[Result], differences: Sequence[Difference], console_is_tty: bool,
           against: Optional[str] = None, vector_of: Optional[VectorOf] = None,
           unlisted: Collection[str] = ()) -> str:
    """The whole report as text: a table per system with its bounds and solver
    (with `against`: only the obligations where a new version's verdict differs
    from that base version's), then the differences (wrapped) and the findings
    (one line each, naming `vector_of(finding)`), but for the `unlisted` versions'
    (whose findings another line of the report sums up)."""
    from proofs.systems import home, system

    vector_of = vector_of or (lambda agg: None)
    aggregates = aggregate(results)
    buf = io.StringIO()
    con = _console(console_is_tty, buf)
    if against is not None:
        table, differ, compared = against_table(aggregates, against, console_is_tty)
        news = ", ".join(dict.fromkeys(v for v, _ in aggregates if v != against))
        con.print(Text(clip(f"{news} against {against}: {differ} of {compared} verdicts differ")))
        if differ:
            con.print(table)
        _print_tail(con, differences, aggregates, vector_of,
                    lambda a: a.variant != against and aggregates.get((against, a.invariant)) is not None
                    and aggregates[(against, a.invariant)].verdict != a.verdict)
        return buf.getvalue()
    groups: dict[str, list] = {}
    for pair in [*aggregates, *((d.variant, d.invariant) for d in differences)]:
        groups.setdefault(home(pair[0]), []).append(pair)
    for sid, pairs in groups.items():  # one table per system, with its own bounds line
        keep = set(pairs)
        if sid != "?":
            con.print(Text(clip(f"{sid}: {system(sid).title}"), style="bold" if console_is_tty else ""))
        con.print(matrix({k: a for k, a in aggregates.items() if k in keep},
                         [d for d in differences if (d.variant, d.invariant) in keep], console_is_tty))
        members = [r for r in results if (r.variant, r.invariant) in keep]
        if members:  # wrapped at WIDTH, never cut: every bound is in it
            con.print(Text(bounds_and_solver_line(members)))
    _print_tail(con, differences, aggregates, vector_of, lambda a: a.variant not in unlisted)
    return buf.getvalue()


def _print_tail(con: Console, differences: Sequence[Difference], aggregates: dict[Pair, Aggregate],
                vector_of: VectorOf, shown: Callable[[Aggregate], bool]) -> None:
    """The differences, then the findings `shown(aggregate)` keeps."""
    out = []
    if differences:
        out.append((f"{len(differences)} difference(s) from the expectations "
                    f"(cells marked{DIFFERS}):", "bold"))
        out += [(f"  {d.variant} {d.invariant}: {d.message}", "") for d in differences]
    else:
        out.append((f"all {len(aggregates)} verdicts match the expectations", "green"))
    findings = [a for a in aggregates.values() if a.verdict in (VIOLATED, NOT_INDUCTIVE) and shown(a)]
    if findings:
        out.append(("findings (whole traces: the JSON report, `ptprove show VECTOR`):", "bold"))
        out += [(clip(f"  {finding_line(a, vector_of(a))}"), STYLE[a.verdict]) for a in findings]
    for line, style in out:  # a difference wraps (its reason matters), a finding was clipped
        for part in textwrap.wrap(line, WIDTH, subsequent_indent="      ", break_on_hyphens=False):
            con.print(Text(part, style=style), soft_wrap=True)


# ---------------------------------------------------------------------------
# files

@dataclass
class Run:
    """What a `prove` run decided so far, and how that compares with the expectations."""

    expectations: str  # the expectations file's path
    results: list[Result] = field(default_factory=list)
    requested: set[Pair] = field(default_factory=set)
    differences: Optional[list[Difference]] = None  # None: not compared (yet)
    complete: bool = True  # False: stopped (Ctrl-C, an error) before every selected system ran
    extra: dict[str, Any] = field(default_factory=dict)  # more `meta` (argv, bounds)

    def compare_with(self, expectations: Expectations) -> list[Difference]:
        self.differences = compare(aggregate(self.results), expectations, self.requested)
        return self.differences


def build_meta(results: Sequence[Result], wall_seconds: Optional[float] = None, **extra: Any) -> dict[str, Any]:
    """The `meta` object of the JSON report: solvers and versions, bounds, times.
    `solver_seconds` adds up every result's solver time (with several workers it
    exceeds the wall time); `wall_seconds` is how long the run took."""
    versions = {"python": platform.python_version()}
    for pkg in ("ptprove", "pysmt"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "?"
    solvers = solver_versions(solvers_of(results))
    return {
        "solvers": solvers,
        "versions": {**versions, **{SOLVER_PACKAGES.get(n, n): v for n, v in solvers.items()}},
        "bounds": bounds_text(results),
        "wall_seconds": None if wall_seconds is None else round(wall_seconds, 3),
        "solver_seconds": round(sum(r.seconds for r in results), 3),
        **extra,
    }


def comparison(run: Run) -> dict[str, Any]:
    """The `comparison` object: the expectations file and how the run differs from it."""
    diffs = run.differences if run.differences is not None else []
    aggs = aggregate(run.results)
    differing = {d.pair for d in diffs}
    return {
        "expectations": run.expectations,
        "compared": run.differences is not None,
        "verdicts": len(aggs),
        "matching": len([p for p in aggs if p not in differing]),
        "differences": [{"variant": d.variant, "invariant": d.invariant, "kind": d.kind,
                         "expected": d.expected, "actual": d.actual, "message": d.message}
                        for d in diffs],
    }


def report_document(run: Run, exit_status: int, wall_seconds: Optional[float] = None) -> dict[str, Any]:
    """The JSON report of `run` (shape: proofs/report.schema.json)."""
    return {
        "format": REPORT_FORMAT,
        "format_version": REPORT_VERSION,
        "meta": build_meta(run.results, wall_seconds, complete=run.complete, **run.extra),
        "exit_status": exit_status,
        "comparison": comparison(run),
        "results": [r.to_json() for r in run.results],
    }


def write_json(run: Run, path: str, exit_status: int, wall_seconds: Optional[float] = None) -> None:
    write_text(path, json.dumps(report_document(run, exit_status, wall_seconds), indent=2) + "\n", "--json")


def read_json(path: str) -> tuple[dict[str, Any], list[Result]]:
    """The meta and results of a report written by write_json."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return data["meta"], [Result(**r) for r in data["results"]]


def report_schema() -> dict[str, Any]:
    with open(REPORT_SCHEMA, encoding="utf-8") as f:
        return json.load(f)


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


def testcase_name(r: Result) -> str:
    """The stable JUnit name: "version :: obligation [operation]" (encodings: [mode level N])."""
    return f"{r.variant} :: {r.invariant} [{r.operation if r.operation != '-' else member_label(r)}]"


def _testcase(suite: ET.Element, classname: str, name: str, seconds: float) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{seconds:.3f}")


def _properties(case: ET.Element, r: Result) -> None:
    props = ET.SubElement(case, "properties")
    for key, value in [*r.bounds.items(), ("solver", r.solver), ("verdict", r.verdict)]:
        ET.SubElement(props, "property", name=str(key), value=str(value))


def write_junit(results: Sequence[Result], differences: Sequence[Difference], path: str,
                wall_seconds: Optional[float] = None) -> None:
    """One testcase per Result (plus one per missing expectation); a testcase
    fails when its (variant, invariant) differs from the expectations and it is
    one of the members the difference is about.  Matching verdicts, "violated"
    included, pass.  A testcase's time is its solver time; the suite's is the
    wall time (when given)."""
    diffs = _by_pair(differences)
    suite = ET.Element("testsuite", name="ptprove")
    failures = 0
    for r in results:
        case = _testcase(suite, f"ptprove.{r.system or 'run'}", testcase_name(r), r.seconds)
        _properties(case, r)
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
            case = _testcase(suite, "ptprove.missing", f"{d.variant} :: {d.invariant} [missing]", 0.0)
            ET.SubElement(case, "failure", message=f"{d.invariant}: {d.message}")
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    total = wall_seconds if wall_seconds is not None else sum(r.seconds for r in results)
    suite.set("time", f"{total:.3f}")
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
    except OSError as e:
        raise cannot("--junit", path, e) from None
