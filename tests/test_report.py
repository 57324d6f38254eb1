"""Reports: the verdict matrix (TTY and plain), JSON and JUnit files.
Hand-made Results, no solver."""
import json
import xml.etree.ElementTree as ET

import pytest

from proofs.expectations import aggregate, compare, parse_expectations
from proofs.report import (
    bounds_summary, build_meta, column_order, read_json, render, trace_summary, write_json,
    write_junit,
)
from proofs.result import Result

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
    header = next(line for line in lines if "variant" in line)
    assert header.index("enc-mapping") < header.index("wx") < header.index("tlb")
    row = next(line for line in lines if line.startswith(f"| {V5} "))
    assert "not-inductive *" in row and "VIOLATED *" not in row  # expected violations are not marked
    assert "3 difference(s)" in out and "expected proved, got not-inductive in destroy sv39" in out
    finding = next(line for line in lines if f"{V5} wx VIOLATED" in line)
    assert ("statement of wx (proofs/invariants.py:36); "
            "trace: map(virt=0x1000, mfn=0x80, nr=0x1, flags=0xb) [1 iteration] -> 0; "
            "modify(virt=0x1000, nr=0x1, flags=0x7) -> (in progress)") in finding
    step = next(line for line in lines if f"{V5} tlb not-inductive" in line)
    assert "NOT INDUCTIVE: counterexample to the step only" in step and "within 6 steps" in step
    assert "trace:" not in step and "NOT INDUCTIVE" not in finding
    assert "entry 0x0000000000000003 (xwr=001 (r)): pte_is_table(p)=true" in out


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
    meta = build_meta(RESULTS, command="prove")
    write_json(RESULTS, str(path), meta)
    got_meta, got = read_json(str(path))
    assert got == RESULTS
    assert got_meta["solvers"]["z3"] == got_meta["versions"]["z3-solver"]
    assert got_meta["command"] == "prove" and got_meta["seconds"] == 1.75


def failing(path):
    return [c for c in ET.parse(path).getroot().iter("testcase") if c.find("failure") is not None]


def test_junit(tmp_path):
    path = tmp_path / "out" / "junit.xml"
    write_junit(RESULTS, DIFFS, str(path))
    suite = ET.parse(path).getroot()
    assert suite.tag == "testsuite" and suite.get("name") == "ptprove"
    cases = suite.findall("testcase")
    assert len(cases) == len(RESULTS) + 1  # + the missing expectation
    failed = {(c.get("classname"), c.get("name").split(" [")[0]) for c in failing(path)}
    assert failed == {(V5, "tlb"), (UP, "wx"), (UP, "reserved")}
    assert suite.get("tests") == str(len(cases))
    assert (suite.get("failures"), suite.get("errors")) == ("3", "0")
    assert float(suite.get("time")) == pytest.approx(1.75)
    by_name = {(c.get("classname"), c.get("name")): c for c in cases}
    v5_modify = by_name[(V5, "wx [modify] mode sv39, levels 3, pool 4, depth 6 steps")]
    assert v5_modify.find("failure") is None  # violated, as expected: passes
    assert v5_modify.find("system-out").text.startswith("verdict: violated")
    tlb = by_name[(V5, "tlb [destroy] mode sv39, levels 3, pool 4, depth 6 steps")].find("failure")
    assert "tlb" in tlb.get("message") and "NOT INDUCTIVE" in tlb.get("message")
    unknown = by_name[(UP, "wx [map] mode sv39, levels 3, pool 4, depth 6 steps")].find("failure")
    assert "UNKNOWN" in unknown.get("message")


def test_junit_fails_only_the_members_the_difference_is_about(tmp_path):
    rs = [res(V9, "wx", "proved", "map"), res(V9, "wx", "violated", "modify", {"calls": CALLS})]
    diffs = compare(aggregate(rs), EXPECT, {(V9, "wx")})
    path = tmp_path / "j.xml"
    write_junit(rs, diffs, str(path))
    names = [c.get("name") for c in failing(path)]
    assert len(names) == 1 and names[0].startswith("wx [modify]")


# -- the files' shapes, as literal documented values (a reader parses these) ----------------------

RESULT_KEYS = ["variant", "invariant", "operation", "verdict", "bounds", "solver", "seconds", "statement",
               "where", "vacuity", "counterexample", "detail", "extra", "system"]


def test_json_report_has_the_documented_keys_and_values(tmp_path):
    path = tmp_path / "report.json"
    write_json(RESULTS, str(path), build_meta(RESULTS, command="prove"))
    data = json.loads(path.read_text())
    assert list(data) == ["meta", "results"]
    meta = data["meta"]
    assert sorted(meta) == ["bounds", "command", "seconds", "solvers", "versions"]
    assert meta["bounds"] == "encodings: mode sv39, level 1; calls: mode sv39, levels 3, pool 4, depth 6 steps"
    assert meta["seconds"] == 1.75 and list(meta["solvers"]) == ["z3"]
    assert {"python", "ptprove", "pysmt", "z3-solver"} <= set(meta["versions"])
    assert [list(r) for r in data["results"]] == [RESULT_KEYS] * len(RESULTS)
    assert [r["verdict"] for r in data["results"]] == [
        "proved", "violated", "violated", "not-inductive", "proved", "proved", "unknown"]
    first = data["results"][0]
    assert (first["variant"], first["invariant"], first["operation"], first["seconds"]) == (V5, "wx", "map", 0.25)


def test_junit_has_the_documented_shape(tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(RESULTS, DIFFS, str(path))
    suite = ET.parse(path).getroot()
    assert sorted(suite.attrib) == ["errors", "failures", "name", "tests", "time"]
    assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("errors")) == \
        ("ptprove", "8", "3", "0")
    cases = suite.findall("testcase")
    assert all(sorted(c.attrib) == ["classname", "name", "time"] for c in cases)
    assert [(c.get("classname"), c.get("name"), c.get("time")) for c in cases][-2:] == [
        (UP, "wx [map] mode sv39, levels 3, pool 4, depth 6 steps", "0.250"),
        (UP, "reserved [missing]", "0.000")]
    assert cases[2].get("name") == "enc-mapping [-] mode sv39, level 1"
    missing = cases[-1].find("failure")
    assert missing.get("message").startswith("reserved: ") and cases[-1].find("system-out") is None
    assert [c.find("system-out").text.split("\n")[0] for c in cases[:4]] == [
        "verdict: proved", "verdict: violated", "verdict: violated", "verdict: not-inductive"]
