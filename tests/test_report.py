"""Reports: the verdict matrix (TTY and plain), JSON and JUnit files.
Hand-made Results, no solver."""

import xml.etree.ElementTree as ET

import pytest

from proofs.expectations import aggregate, compare, parse_expectations
from proofs.report import (
    Run, bounds_summary, column_order, read_json, render, report_document, report_schema, trace_summary,
    write_json, write_junit,
)
from proofs.engine.result import VIOLATED, Result

V5, V9, UP = "riscv-pt-v5", "riscv-pt-v9", "riscv-pt-upstream"
STEPS = {"mode": "sv39", "levels": 3, "pool": 4, "depth": 6}
CALLS = [
    {"call": "map", "args": {"virt": "0x1000", "mfn": "0x80", "nr": "0x1", "flags": "0xb"},
     "iterations": 1, "rc": "0"},
    {"call": "modify", "args": {"virt": "0x1000", "nr": "0x1", "flags": "0x7"}, "iterations": 0,
     "rc": "(in progress: the invariant breaks inside this call)"},
]
ENTRY = {"pte": "0x0000000000000003", "kind": "leaf", "class": "xwr=001 (r)",
         "xen": {"pte_is_table(p)": True, "pte_is_mapping(p)": False},
         "classes": [{"class": "xwr=001 (r)"}, {"class": "xwr=011 (rw)"}]}


def res(variant, invariant, verdict, operation="map", cx=None, **extra):
    bounds = {"mode": "sv39", "level": 1} if operation == "-" else STEPS
    return Result(variant, invariant, operation, verdict, dict(bounds), "z3", 0.25,
                  statement=f"statement of {invariant}", where="proofs/invariants.py:36",
                  vacuity=True, counterexample=cx, **extra)


RESULTS = [
    res(V5, "wx", "proved", "map"), res(V5, "wx", "violated", "modify", {"calls": CALLS}),
    res(V5, "enc-mapping", "violated", "-", ENTRY), res(V5, "tlb", "not-inductive", "destroy"),
    res(V9, "wx", "proved"), res(V9, "enc-mapping", "proved", "-"),
    res(UP, "wx", "unknown", detail="solver answered unknown (timeout)"),
]
EXPECT = parse_expectations({"version": 1, "variants": {
    V5: {"wx": {"verdict": "violated", "reason": "modify ORs permissions"},
         "enc-mapping": {"verdict": "violated", "reason": "read-only leaves"},
         "tlb": {"verdict": "proved", "reason": "fences before return"}},
    V9: {"wx": {"verdict": "proved", "reason": "fixed"},
         "enc-mapping": {"verdict": "proved", "reason": "fixed"}},
    UP: {"wx": {"verdict": "proved", "reason": "fixed"}, "reserved": {"verdict": "proved", "reason": "r"}},
}})
REQUESTED = {(v, i) for v in (V5, V9, UP) for i in ("wx", "enc-mapping", "tlb", "reserved")}
DIFFS = compare(aggregate(RESULTS), EXPECT, REQUESTED)  # V5 tlb mismatch, UP wx unknown, UP reserved missing


def test_differences_fixture():
    assert [(d.variant, d.invariant, d.kind) for d in DIFFS] == [
        (V5, "tlb", "mismatch"), (UP, "wx", "unknown"), (UP, "reserved", "missing")]


def test_columns_enc_first_then_invariants_order():
    got = column_order(["tlb", "wx", "enc-total", "zz", "enc-table"])
    assert got == ["enc-table", "enc-total", "wx", "tlb", "zz"]


@pytest.mark.parametrize("tty", [False, True])
def test_matrix_has_every_variant_and_verdict(tty):
    out = render(RESULTS, DIFFS, tty)
    for text in (V5, V9, UP, "VIOLATED", "proved", "not-inductive", "UNKNOWN"):
        assert text in out
    assert ("\x1b" in out) == tty
    assert ("bounds: encodings: mode sv39, level 1; "
            "calls: mode sv39, levels 3, pool 4, depth 6 steps; solver z3 ") in out


def test_plain_report_content():
    out = render(RESULTS, DIFFS, False)
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("| obligation"))
    assert header.index(V5) < header.index(V9) < header.index(UP)  # versions as columns, first seen
    names = [line.split("|")[1].strip() for line in lines if line.startswith("| ") and line != header]
    assert names == ["enc-mapping", "wx", "reserved", "tlb"]  # obligations as rows, in system order
    row = next(line for line in lines if line.startswith("| tlb "))
    assert [c.strip() for c in row.split("|")[2:5]] == ["not-inductive *", "-", "-"]
    wx = next(line for line in lines if line.startswith("| wx "))
    assert "VIOLATED *" not in wx  # expected violations are not marked
    assert "3 difference(s)" in out and "expected proved, got not-inductive in destroy sv39" in out
    finding = next(line for line in lines if f"{V5} wx VIOLATED" in line)
    assert finding.startswith(f"  {V5} wx VIOLATED in 1 of 2: trace: map(virt=0x1000, mfn=0x80")
    step = next(line for line in lines if f"{V5} tlb not-inductive" in line)
    assert "NOT INDUCTIVE: counterexample to the step only" in step
    assert "trace:" not in step and "NOT INDUCTIVE" not in finding
    assert "enc-mapping VIOLATED in sv39 level 1: entry 0x0000000000000003 (xwr=001 (r))" in out


@pytest.mark.parametrize("tty", [False, True])
def test_every_line_fits_100_columns_one_line_per_finding(tty):
    import re

    from proofs.systems import system

    p2m = list(system("p2m").variants)  # the system with the most (and longest) version names
    long_trace = {"calls": CALLS * 20}  # a 40-call trace: 2,000 characters on one line before
    rs = [res(v, i, VIOLATED, "map", long_trace) for v in p2m for i in system("p2m").obligations]
    out = re.sub(r"\x1b\[[0-9;]*m", "", render(rs, [], tty))
    assert max(len(line) for line in out.splitlines()) <= 100
    findings = [line for line in out.splitlines() if " VIOLATED in " in line]
    assert len(findings) == len(rs) and all(line.endswith("...") for line in findings)


def test_all_match_line():
    ok = [r for r in RESULTS if r.variant == V9]
    assert "all 2 verdicts match the expectations" in render(ok, [], False)


def test_trace_summary_by_verdict():
    assert trace_summary(RESULTS[-1]).startswith("UNKNOWN: solver answered unknown")
    assert trace_summary(res(V5, "wx", "proved")) == "proved"


@pytest.mark.parametrize("levels, text", [
    ((2, 0, 1), "level 0-2"), ((0, 1, 3), "level 0/1/3"), ((1,), "level 1")])
def test_bounds_summary_merges_values(levels, text):
    rs = [Result(V5, "enc-table", "-", "proved", {"mode": "sv39", "level": n}, "z3", 0) for n in levels]
    assert bounds_summary(rs) == f"mode sv39, {text}"


def test_json_round_trips(tmp_path):
    path = tmp_path / "build" / "report.json"
    run = Run("exp.json", results=list(RESULTS), requested=set(REQUESTED), extra={"command": "prove"})
    run.compare_with(EXPECT)
    write_json(run, str(path), 3, wall_seconds=1.25)
    got_meta, got = read_json(str(path))
    assert got == RESULTS
    assert got_meta["solvers"]["z3"] == got_meta["versions"]["z3-solver"]
    assert got_meta["command"] == "prove" and got_meta["complete"] is True
    assert (got_meta["wall_seconds"], got_meta["solver_seconds"]) == (1.25, 1.75)  # apart


def test_json_report_has_format_comparison_and_exit_status(tmp_path):
    import json

    from proofs.vector import validate

    path = tmp_path / "report.json"
    run = Run("exp.json", results=list(RESULTS), requested=set(REQUESTED))
    run.compare_with(EXPECT)
    write_json(run, str(path), 3, wall_seconds=2.0)
    data = json.loads(path.read_text())
    assert validate(data, report_schema()) == []
    assert (data["format"], data["format_version"], data["exit_status"]) == ("ptprove-report", 1, 3)
    cmp = data["comparison"]
    assert cmp["expectations"] == "exp.json" and cmp["compared"] is True
    assert [(d["variant"], d["invariant"], d["kind"]) for d in cmp["differences"]] == [
        (V5, "tlb", "mismatch"), (UP, "wx", "unknown"), (UP, "reserved", "missing")]
    assert (cmp["verdicts"], cmp["matching"]) == (6, 4)


def test_report_schema_rejects_what_it_does_not_describe():
    from proofs.vector import validate

    run = Run("exp.json", results=list(RESULTS))
    doc = report_document(run, 0)
    assert validate(doc, report_schema()) == []
    assert validate({**doc, "format_version": 2}, report_schema())
    assert validate({**doc, "surprise": 1}, report_schema())
    bad = {**doc, "results": [{**doc["results"][0], "verdict": "maybe"}]}
    assert any("maybe" in e for e in validate(bad, report_schema()))


def failing(path):
    return [c for c in ET.parse(path).getroot().iter("testcase") if c.find("failure") is not None]


def test_junit(tmp_path):
    path = tmp_path / "out" / "junit.xml"
    write_junit(RESULTS, DIFFS, str(path), wall_seconds=0.5)
    suite = ET.parse(path).getroot()
    assert suite.tag == "testsuite" and suite.get("name") == "ptprove"
    cases = suite.findall("testcase")
    assert len(cases) == len(RESULTS) + 1  # + the missing expectation
    failed = {c.get("name").split(" [")[0] for c in failing(path)}
    assert failed == {f"{V5} :: tlb", f"{UP} :: wx", f"{UP} :: reserved"}
    assert suite.get("tests") == str(len(cases))
    assert (suite.get("failures"), suite.get("errors")) == ("3", "0")
    assert float(suite.get("time")) == pytest.approx(0.5)  # the wall time, not the solver sum
    by_name = {c.get("name"): c for c in cases}
    v5_modify = by_name[f"{V5} :: wx [modify]"]
    assert v5_modify.find("failure") is None  # violated, as expected: passes
    assert v5_modify.find("system-out").text.startswith("verdict: violated")
    tlb = by_name[f"{V5} :: tlb [destroy]"].find("failure")
    assert "tlb" in tlb.get("message") and "NOT INDUCTIVE" in tlb.get("message")
    unknown = by_name[f"{UP} :: wx [map]"].find("failure")
    assert "UNKNOWN" in unknown.get("message")
    missing = by_name[f"{UP} :: reserved [missing]"]  # the documented name of a missing verdict
    assert missing.get("classname") == "ptprove.missing" and missing.find("failure") is not None


def test_junit_names_are_stable_and_bounds_are_properties(tmp_path):
    path = tmp_path / "j.xml"
    deeper = [Result(**{**r.__dict__, "bounds": {**r.bounds, "depth": 9}}) for r in RESULTS]
    names = []
    for rs in (RESULTS, deeper):
        write_junit(rs, [], str(path))
        names.append([c.get("name") for c in ET.parse(path).getroot().iter("testcase")])
    assert names[0] == names[1]  # a bound that changes does not rename the test
    assert f"{V5} :: enc-mapping [sv39 level 1]" in names[0]
    assert all(len(n) < 80 for n in names[0])
    case = next(c for c in ET.parse(path).getroot().iter("testcase") if c.get("name") == f"{V5} :: wx [map]")
    props = {p.get("name"): p.get("value") for p in case.find("properties")}
    assert props["depth"] == "9" and props["pool"] == "4" and props["solver"] == "z3"


def test_junit_fails_only_the_members_the_difference_is_about(tmp_path):
    rs = [res(V9, "wx", "proved", "map"), res(V9, "wx", "violated", "modify", {"calls": CALLS})]
    diffs = compare(aggregate(rs), EXPECT, {(V9, "wx")})
    path = tmp_path / "j.xml"
    write_junit(rs, diffs, str(path))
    names = [c.get("name") for c in failing(path)]
    assert names == [f"{V9} :: wx [modify]"]


def test_a_finding_with_a_vector_shows_the_vectors_shrunk_trace():
    from proofs.expectations import aggregate as agg_of
    from proofs.report import Canonical, finding_line

    agg = agg_of([res(V5, "wx", VIOLATED, "modify", {"calls": CALLS * 3})])[(V5, "wx")]
    shrunk = Canonical("cx/riscv-pt-v5/wx.json", {"kind": "trace", "calls": CALLS[:1]})
    assert finding_line(agg, shrunk) == (f"{V5} wx VIOLATED in modify sv39 (cx/riscv-pt-v5/wx.json): "
                                         "trace: map(virt=0x1000, mfn=0x80, nr=0x1, flags=0xb) [1 iteration] -> 0")
    step = Canonical("cx/riscv-pt-v5/wx.json", {"kind": "step", "calls": CALLS[:1]})
    assert finding_line(agg, step).count("map(") == 3  # a step vector: the run's own summary
