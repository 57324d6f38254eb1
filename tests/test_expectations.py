"""Expectations: the file format, aggregation per (variant, invariant), and
how differences map to exit statuses.  Hand-made Results, no solver."""
import json
import os

import pytest

from proofs.errors import UsageError
from proofs.expectations import (
    MISMATCH, MISSING, NEW, UNDECIDED, VACUOUS, aggregate, compare, exit_status, load_expectations,
    parse_expectations,
)
from proofs.engine.result import Result

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "expectations_sample.json")
V5, UP = "riscv-pt-v5", "riscv-pt-upstream"


def res(variant, invariant, verdict, operation="map", vacuity=True, **bounds):
    return Result(variant, invariant, operation, verdict, bounds or {"mode": "sv39"}, "z3", 0.01,
                  vacuity=vacuity)


def run_matching_sample():
    return [res(V5, "wx", "proved", "map"), res(V5, "wx", "violated", "modify"),
            res(V5, "enc-mapping", "violated", "-", level=0), res(V5, "enc-mapping", "proved", "-", level=1),
            res(V5, "tlb", "not-inductive"), res(UP, "wx", "proved"), res(UP, "atomicity", "violated")]


ALL_PAIRS = {(v, i) for v in (V5, UP) for i in ("wx", "enc-mapping", "tlb", "atomicity", "reserved")}


def test_sample_loads():
    exp = load_expectations(SAMPLE)
    assert exp.get(V5, "wx").verdict == "violated"
    assert "ORs" in exp.get(V5, "wx").reason
    assert exp.get(UP, "tlb") is None


def test_project_expectations_file_is_valid():
    path = os.path.join(HERE, "..", "proofs", "expectations.json")
    assert load_expectations(path).entries


@pytest.mark.parametrize("verdicts, expected", [
    (["proved", "proved"], "proved"),
    (["proved", "not-inductive"], "not-inductive"),
    (["not-inductive", "violated", "proved"], "violated"),
    (["violated", "unknown", "not-inductive"], "unknown"),
])
def test_aggregation_order(verdicts, expected):
    rs = [res(V5, "wx", v, op) for v, op in zip(verdicts, ("map", "modify", "destroy"))]
    agg = aggregate(rs)[(V5, "wx")]
    assert agg.verdict == expected
    assert agg.results == rs
    assert [r.verdict for r in agg.deciding()] == [expected] * verdicts.count(expected)


def test_aggregates_keep_pairs_apart_in_first_seen_order():
    aggs = aggregate(run_matching_sample())
    assert list(aggs) == [(V5, "wx"), (V5, "enc-mapping"), (V5, "tlb"), (UP, "wx"), (UP, "atomicity")]
    assert [r.operation for r in aggs[(V5, "wx")].with_verdict("violated")] == ["modify"]


def diff(results, requested=ALL_PAIRS):
    exp = load_expectations(SAMPLE)
    d = compare(aggregate(results), exp, requested)
    return d, exit_status(d, results)


def test_all_match_including_informative_and_expected_violations():
    assert diff(run_matching_sample()) == ([], 0)


def test_mismatch_names_the_deciding_members_and_reason():
    rs = [res(UP, "wx", "proved", "map"), res(UP, "wx", "violated", "modify")]
    d, status = diff(rs, {(UP, "wx")})
    assert [(x.kind, x.expected, x.actual) for x in d] == [(MISMATCH, "proved", "violated")]
    assert "modify" in d[0].message and "replaces the permissions" in d[0].message
    assert status == 1


def test_informative_invariant_must_still_match():
    d, status = diff([res(UP, "atomicity", "proved")], {(UP, "atomicity")})
    assert [x.kind for x in d] == [MISMATCH] and status == 1


def test_new_pair_is_a_difference():
    d, status = diff([res(UP, "reserved", "proved")], {(UP, "reserved")})
    assert [x.kind for x in d] == [NEW] and "new: not in expectations" in d[0].message
    assert status == 1


def test_missing_only_within_the_requested_pairs():
    rs = [r for r in run_matching_sample() if (r.variant, r.invariant) != (V5, "tlb")]
    d, status = diff(rs)
    assert [(x.kind, x.pair) for x in d] == [(MISSING, (V5, "tlb"))] and status == 1
    # a run restricted to --invariant wx does not miss the others
    wx_only = [r for r in rs if r.invariant == "wx"]
    assert diff(wx_only, {(v, "wx") for v in (V5, UP)}) == ([], 0)


def test_unknown_exits_3_even_when_other_differences_exist():
    rs = [res(V5, "wx", "unknown", "modify"), res(UP, "wx", "violated")]
    d, status = diff(rs, {(V5, "wx"), (UP, "wx")})
    assert [x.kind for x in d] == [UNDECIDED, MISMATCH]
    assert d[0].status == 3 and status == 3


@pytest.mark.parametrize("vacuity", [False, None])
def test_proved_without_vacuity_witness_is_a_difference(vacuity):
    d, status = diff([res(UP, "wx", "proved", "destroy", vacuity=vacuity)], {(UP, "wx")})
    assert [x.kind for x in d] == [VACUOUS]
    assert "proved without a vacuity witness" in d[0].message and "destroy" in d[0].message
    assert status == 1
    assert exit_status([], [res(UP, "wx", "proved", vacuity=vacuity)]) == 1


def good():
    return {"version": 1, "variants": {V5: {"wx": {"verdict": "violated", "reason": "r"}}}}


def bad(edit):
    data = good()
    edit(data)
    return data


@pytest.mark.parametrize("data, key", [
    (bad(lambda d: d.update(extra=1)), "extra: unknown key"),
    (bad(lambda d: d.update(version=2)), "version: must be 1"),
    (bad(lambda d: d["variants"].update({"riscv-pt-v6": {}})), "variants.riscv-pt-v6: unknown variant"),
    (bad(lambda d: d["variants"][V5].update(wxx={})), f"variants.{V5}.wxx: unknown invariant id"),
    (bad(lambda d: d["variants"][V5]["wx"].update(verdit="proved")), f"variants.{V5}.wx.verdit: unknown key"),
    (bad(lambda d: d["variants"][V5]["wx"].update(verdict="refuted")),
     f"variants.{V5}.wx.verdict: 'refuted'"),
    (bad(lambda d: d["variants"][V5]["wx"].update(verdict="unknown")),
     f"variants.{V5}.wx.verdict: 'unknown'"),
    (bad(lambda d: d["variants"][V5]["wx"].pop("reason")), f"variants.{V5}.wx.reason: missing"),
    (bad(lambda d: d["variants"].update({V5: []})), f"variants.{V5}: expected an object"),
])
def test_malformed_file_is_one_usage_line(tmp_path, data, key):
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError) as e:
        load_expectations(str(path))
    msg = str(e.value)
    assert msg.startswith(f"{path}: {key}") and "\n" not in msg


def test_unreadable_and_invalid_json(tmp_path):
    path = tmp_path / "exp.json"
    for content, key in ((None, "cannot read"), ("{", "not valid JSON")):
        if content is not None:
            path.write_text(content)
        with pytest.raises(UsageError, match=key):
            load_expectations(str(path))
    assert parse_expectations(good()).get(V5, "wx").reason == "r"


def test_a_lifted_c_version_does_not_inherit_what_it_does_not_decide():
    from proofs.expectations import Expectation, Expectations, inherit

    base = Expectations(None, {("riscv-pt-upstream", "pmap"): Expectation("violated", "r"),
                               ("riscv-pt-upstream", "vmap-to-mfn"): Expectation("violated", "r")})
    got = inherit(base, "riscv-pt-upstream-c", "riscv-pt-upstream", "why", ("vmap-to-mfn",)).entries
    assert ("riscv-pt-upstream-c", "pmap") in got and ("riscv-pt-upstream-c", "vmap-to-mfn") not in got
    assert ("riscv-pt-upstream-c", "vmap-to-mfn") in inherit(base, "riscv-pt-upstream-c", "riscv-pt-upstream",
                                                             "why").entries
