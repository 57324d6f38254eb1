"""The proof engine end to end: step checks, BMC traces that replay, verdicts.

Solver work is kept small (one-step checks, BMC to depth 5 at most); the
whole file runs in well under a minute on two cores.
"""
from __future__ import annotations

import pytest

from helpers import (
    UPSTREAM,
    V5,
    OrsFlagsLikeV5,
    SkipsWxCheck,
    concrete_step,
    holds,
    pc,
    rv_bmc as bmc,
    rv_machine,
    rv_step,
    started as started_calls,
    variant,
)
from model.riscv.machine import (
    INVALID_MFN,
    OP_DESTROY,
    OP_MAP,
    OP_MODIFY,
    OPS,
    PC_HALTED,
    PC_IDLE,
    initial_state,
)
from model.riscv.pte import PTE_EXECUTABLE, PTE_WRITABLE, classify
from proofs import systems
from proofs.engine import Settings
from proofs.engine.search import replay
from proofs.systems.riscv_pt.theorem import INVARIANTS, OBLIGATIONS

RISCV_PT = systems.system("riscv-pt")


def run(variants, obligations, settings):
    return RISCV_PT.run(variants, obligations, settings)

NOT_INDUCTIVE_KIND = "not-inductive"


# -- (a) one-step checks ------------------------------------------------------------------------

@pytest.mark.parametrize("cls, op, status", [
    (None, OP_MAP, "proved"),  # upstream: pt_update refuses W+X and inserts fresh ptes
    (OrsFlagsLikeV5, OP_MAP, "cti"),  # map with INVALID_MFN is an OR-ing modify
    (OrsFlagsLikeV5, OP_MODIFY, "cti"),
])
def test_wx_step_check(cls, op, status):
    v = variant(cls or UPSTREAM)
    out = rv_step(v, INVARIANTS["wx"], op)
    assert out.status == status
    if status == "proved":
        assert out.vacuity is True
    else:
        assert out.cti["kind"].startswith(NOT_INDUCTIVE_KIND)
        assert out.cti["step"] == "loop iteration"
        assert out.cti["loop"]["mfn"] == "INVALID_MFN"  # by its Xen name, as every trace prints it


def test_skipped_wx_check_is_caught_by_a_lemma_not_proved():
    # Without the prologue's W^X refusal the wx step is still proved *given* the
    # lemmas, but one of the lemmas it assumes (the loop frame excludes W+X
    # requests) is no longer inductive for map: the engine cannot report a proof.
    v = variant(SkipsWxCheck)
    assert rv_step(v, INVARIANTS["wx"], OP_MAP).status == "proved"
    providers = {ob.lemma: ob for ob in OBLIGATIONS.values() if ob.lemma}
    lemma_status = {lemma: rv_step(v, providers[lemma], OP_MAP).status
                    for lemma in INVARIANTS["wx"].needs if providers[lemma].id != "wx"}
    assert "cti" in lemma_status.values()


# -- (b) BMC from the initial state -----------------------------------------------------------

def replay_independently(v, inv_id: str, trace) -> list:
    """Re-run the trace's offered calls with the test helpers; the invariant must break at the end."""
    s = initial_state(v.geo)
    steps = []
    for cc in trace.calls:
        steps.append(concrete_step(v, s, (cc.op, cc.args)))
        s = steps[-1].post
    assert pc(s) != PC_HALTED
    assert not holds(inv_id, v, steps[-1], trace.va)
    return steps


def started(v, trace, k: int):
    c = started_calls(v, trace)[k]
    return c.op, c.args


def test_bmc_v5_wx_via_modify():
    v = variant(V5)
    out = bmc(v, INVARIANTS["wx"], OP_MODIFY, 4)
    assert (out.status, out.depth) == ("violated", 4)
    replay(rv_machine(v), INVARIANTS["wx"], out.trace)
    steps = replay_independently(v, "wx", out.trace)
    op, (virt, nr, flags, _) = started(v, out.trace, -1)
    # a legal request (W or X, not both): the other permission came from the old leaf
    assert op == OP_MODIFY and bool(flags & PTE_WRITABLE) != bool(flags & PTE_EXECUTABLE)
    assert out.decoded["breaking_step"]["translation_after"]["perms"] == "rwx"
    assert out.decoded["calls"][0]["call"] == "map"
    assert len(steps) == 4


def test_bmc_v5_wx_via_map_with_invalid_mfn():
    v = variant(V5)
    out = bmc(v, INVARIANTS["wx"], OP_MAP, 4)
    assert out.status == "violated"
    replay(rv_machine(v), INVARIANTS["wx"], out.trace)
    replay_independently(v, "wx", out.trace)
    op, (virt, mfn, nr, flags) = started(v, out.trace, -1)
    assert (op, mfn) == (OP_MAP, INVALID_MFN)  # only v5's `||` ASSERT lets this in
    assert out.decoded["calls"][-1]["args"]["mfn"] == "INVALID_MFN"


def test_bmc_v5_well_formed_read_only_leaf_descended():
    v = variant(V5)
    out = bmc(v, INVARIANTS["well-formed"], None, 4)
    assert out.status == "violated"
    steps = replay_independently(v, "well-formed", out.trace)
    # the breaking step's walker followed, as a table, an entry the spec calls a leaf
    leaves = [d for d in steps[-1].descents
              if bool(d.guard) and bool(classify(d.entry, d.level, v.geo.mode).leaf)]
    assert leaves and all(not int(d.entry) & (PTE_WRITABLE | PTE_EXECUTABLE) for d in leaves)


def test_bmc_upstream_footprint_via_destroy_inside_superpage():
    v = variant(UPSTREAM)
    out = bmc(v, INVARIANTS["footprint"], OP_DESTROY, 4)
    assert (out.status, out.depth) == ("violated", 4)
    steps = replay_independently(v, "footprint", out.trace)
    op, (s, e, _, _) = started(v, out.trace, -1)
    assert op == OP_DESTROY and not s <= out.trace.va < e  # the witness is outside the request
    before = out.decoded["breaking_step"]["translation_before"]
    assert before["ok"] and before["level"] > 0  # it was in a superpage
    assert out.decoded["breaking_step"]["translation_after"] == {"ok": False}
    assert pc(steps[-1].pre) != PC_IDLE


def test_bmc_upstream_wx_clean():
    out = bmc(variant(UPSTREAM), INVARIANTS["wx"], None, 5)
    assert (out.status, out.depth, out.trace) == ("clean", 5, None)


# -- (c) the engine: a proof with its lemmas ------------------------------------------------------

def test_engine_proves_upstream_tlb_for_every_operation():
    results = run([UPSTREAM], ["tlb"], Settings(jobs=1))
    assert sorted(r.operation for r in results) == sorted(OPS.values())
    for r in results:
        assert (r.variant, r.invariant, r.verdict, r.vacuity) == (UPSTREAM, "tlb", "proved", True), r.detail


# -- (d) not inductive: the counterexample to the step is kept --------------------------------------

def test_step_without_lemmas_has_a_cti_that_no_short_trace_confirms():
    v = variant(UPSTREAM)
    out = rv_step(v, INVARIANTS["tlb"], OP_MAP, needs=())
    assert out.status == "cti"
    assert out.cti["kind"].startswith(NOT_INDUCTIVE_KIND)
    assert bmc(v, INVARIANTS["tlb"], OP_MAP, 3).status == "clean"


def test_engine_keeps_the_cti_of_a_not_inductive_result():
    # v5's wx step fails in a modify iteration; BMC to depth 1 sees only a prologue
    results = run([V5], ["wx"], Settings(jobs=1, depth=1))
    assert len(results) == 4
    r = next(r for r in results if r.operation.startswith("modify"))
    assert r.verdict == "not-inductive"
    assert r.counterexample["kind"].startswith(NOT_INDUCTIVE_KIND)
    assert r.counterexample["step"] == "loop iteration"
    assert "counterexample to the step attached" in r.detail


def test_step_by_case_asks_what_no_case_covers():
    """`by_case` must be the same claim: a violation outside every case is still found."""
    from model.term import sym_word
    from proofs.engine.solver import check_step

    x = sym_word("by_case_test_x", 8)
    violation = x == 7
    assert check_step(x != 0, violation, cases=[x < 3, x == 4]).status == "cti"
    assert check_step(x != 0, violation, cases=[x == 7]).status == "cti"
    proved = check_step(x != 0, x == 0, cases=[x < 3])
    assert (proved.status, proved.vacuity) == ("proved", True)


@pytest.mark.parametrize("system,version,ob", [("arm_pt", "arm-pt-rfc", "lemma-frame"),
                                                ("riscv_pt", "riscv-pt-v5", "lemma-frame")])
def test_by_case_obligations_keep_their_verdict_and_catch_a_broken_lemma(system, version, ob):
    """The case split proves the lemma, and a lemma broken in its loop case fails by case too."""
    import dataclasses
    import importlib

    from proofs.engine.step import step_check

    mod = importlib.import_module(f"proofs.systems.{system}")
    m = importlib.import_module(f"proofs.systems.{system}.machine").machine(version, Settings())
    op = next(iter(m.operations))
    good = mod.OBLIGATIONS[ob]
    assert good.by_case
    assert step_check(m, good, op, "z3", 300_000).status == "proved"
    broken = dataclasses.replace(good, holds=lambda v: v.post.pc != 1)  # "never in the loop"
    assert step_check(m, broken, op, "z3", 300_000).status == "cti"


def _nap(job):
    import time

    time.sleep(0.2)
    return job


def _scratch(job: int) -> str:
    import tempfile
    return tempfile.mkdtemp(prefix=f"job{job}-")


def test_the_pools_workers_leave_no_temporary_files():
    """A worker ends without atexit, so what it makes (a compiled C harness) goes under the
    pool's directory, which the pool removes."""
    from pathlib import Path

    from proofs.engine.workers import Pool

    with Pool(2) as pool:
        made = [Path(d) for d in pool.submit(_scratch, [0, 1, 2]).completed()]
        assert all(d.is_dir() and d.parent == Path(pool.scratch) for d in made), made
    assert not Path(pool.scratch).exists()


def test_the_pool_runs_a_later_higher_priority_job_before_the_queued_ones():
    from proofs.engine.workers import SEARCH, STEP, Pool, priority

    with Pool(2) as pool:
        low = pool.submit(_nap, [f"step{k}" for k in range(8)], priority(STEP, 0))
        high = pool.submit(_nap, ["search"], priority(SEARCH, 3))
        order = []
        import concurrent.futures as cf
        for f in cf.as_completed(low.futures + high.futures):
            order.append(f.result())
    assert order.index("search") <= 3, order  # behind at most the two running and one more
    assert priority(SEARCH, 4) > priority(STEP, 0) > priority(STEP, 1)


def test_the_pool_hands_out_a_phase_longest_first_by_its_costs():
    """Of jobs queued at one priority, those the previous run timed longest start first;
    untimed ones (cost 0) keep their submission order, last."""
    import concurrent.futures as cf

    from proofs.engine.workers import STEP, Pool, priority

    with Pool(2) as pool:
        jobs = ["a", "b", "short", "long", "middle"]
        batch = pool.submit(_nap, jobs, priority(STEP, 0), [0.0, 0.0, 0.1, 9.0, 3.0])
        order = [f.result() for f in cf.as_completed(batch.futures)]
    assert set(order[:2]) == {"long", "middle"} and set(order[2:4]) == {"short", "a"} \
        and order[4] == "b", order


def test_estimates_read_a_previous_report_and_order_systems_longest_first(tmp_path):
    import json

    from proofs.engine import estimates

    report = tmp_path / "report.json"
    rows = [("arm-pt", "arm-pt-rfc", "contig", "any call", 12.0),
            ("p2m", "riscv-p2m-v2", "bbm", "p2m_set_entry set-4k", 5.0),
            ("p2m", "riscv-p2m-v2", "bbm", "p2m_set_entry set-2m", 9.0),
            ("encodings", "riscv", "decode", "sv39 level 0", 0.1)]
    report.write_text(json.dumps({"results": [
        {"system": s, "variant": v, "invariant": o, "operation": op, "seconds": t} for s, v, o, op, t in rows]}))
    est = estimates.load(str(report))
    assert est.of("arm-pt-rfc", "contig", "any call") == 12.0
    assert est.of("arm-pt-rfc", "contig", "no such call") == 0.0
    assert est.most([("riscv-p2m-v2", "bbm", "p2m_set_entry set-4k"),
                     ("riscv-p2m-v2", "bbm", "p2m_set_entry set-2m")]) == 9.0
    assert estimates.longest_first(["encodings", "riscv-pt", "arm-pt", "p2m"], est) == [3, 2, 0, 1]
    # no report (a first run) or not a report: the fallback's estimates, else none (the order given)
    for missing in (None, str(tmp_path / "none.json")):
        assert estimates.longest_first(["a", "b"], estimates.load(missing, fallback=None)) == [0, 1]
        assert estimates.load(missing, fallback=report).of("arm-pt-rfc", "contig", "any call") == 12.0
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert estimates.load(str(bad), fallback=None).of("arm-pt-rfc", "contig", "any call") == 0.0
    assert estimates.load(str(bad), fallback=bad) is estimates.NONE


def test_committed_estimates_are_a_trim_of_a_report_that_loads_back(tmp_path):
    """proofs/estimates.json (what a fresh clone orders its jobs by) is a report's trim: its
    seconds and lost lemmas, read back by the same loader; it names obligations of today."""
    import json

    from proofs import systems as all_systems
    from proofs.engine import estimates

    committed = estimates.load(None, fallback=estimates.SHIPPED)
    assert committed is not estimates.NONE and len(committed.seconds) > 500
    assert {k[1] for k in committed.seconds} <= set(all_systems.all_obligations()) | {"refines"}
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"results": [
        {"system": "p2m", "variant": "v", "invariant": "footprint", "operation": "set-2m", "seconds": 3.14159,
         "extra": {estimates.ASKED_WITHOUT: ["metadata"], "other": 1}, "detail": "x"}]}))
    out = tmp_path / "estimates.json"
    assert estimates.main([str(report), "--out", str(out)]) == 0
    back = estimates.load(None, fallback=out)
    assert back.of("v", "footprint", "set-2m") == 3.1 and back.without("v", "footprint", "set-2m") == ("metadata",)
    assert estimates.main([str(tmp_path / "none.json"), "--out", str(out)]) == 2


def test_a_step_asked_without_a_lemma_it_needs_after_all_is_asked_again_with_it(tmp_path):
    """The previous run's lost lemmas are a guess: upstream's `tlb` needs lemma `idle`
    (without it the step has a counterexample), so a stale estimate that says `idle` was lost
    costs a second ask, not the proof."""
    import json

    from proofs.engine import estimates

    stale = tmp_path / "report.json"
    stale.write_text(json.dumps({"results": [
        {"system": "riscv-pt", "variant": UPSTREAM, "invariant": "tlb", "operation": name, "seconds": 1.0,
         "extra": {estimates.ASKED_WITHOUT: ["idle"]}} for name in OPS.values()]}))
    results = run([UPSTREAM], ["tlb"], Settings(jobs=1, estimates=str(stale)))
    assert sorted(r.operation for r in results) == sorted(OPS.values())
    for r in results:
        assert (r.verdict, r.vacuity) == ("proved", True), r.detail
        assert "assumes lemmas idle" in r.detail and estimates.ASKED_WITHOUT not in r.extra, r.detail


def test_a_shaped_machines_search_is_one_job_per_operation():
    """p2m's BMC asks a target only on the shape sequences ending in its operation, so its
    open targets split by operation (each its own job, timed alone); a machine of one shape
    keeps one unrolling for all."""
    from proofs.engine.search import groups
    from proofs.systems.arm_pt.machine import machine as arm_machine
    from proofs.systems.p2m.machine import machine as p2m_machine

    p2m = p2m_machine("riscv-p2m-v2", Settings())
    targets = [("bbm", "set-4k"), ("no-leak", "set-2m"), ("bbm", "set-2m"), ("reserved", "set-1g")]
    assert groups(p2m, targets) == [[("bbm", "set-4k")], [("no-leak", "set-2m"), ("bbm", "set-2m")],
                                    [("reserved", "set-1g")]]
    arm = arm_machine("arm-pt-rfc", Settings())
    assert groups(arm, [("contig", "any"), ("lemma-contig", "any")]) == [[("contig", "any"), ("lemma-contig", "any")]]
    assert groups(arm, []) == []


def test_prove_decides_the_longest_system_first_and_reports_in_the_selections_order(tmp_path, capsys):
    """With a previous report in --json's place, the system it timed longest is decided
    first (its progress line first); the report keeps the selection's order and verdicts."""
    import json

    from proofs.cli import main

    out = tmp_path / "report.json"
    argv = ["prove", "--system", "encodings,riscv-fixmap", "--jobs", "1", "--json", str(out)]
    assert main(argv) == 0
    first = json.loads(out.read_text())["results"]
    capsys.readouterr()
    for longest, other in (("encodings", "riscv-fixmap"), ("riscv-fixmap", "encodings")):
        data = json.loads(out.read_text())
        for r in data["results"]:
            r["seconds"] = 100.0 if r["system"] == longest else 0.0
        out.write_text(json.dumps(data))
        assert main(argv) == 0
        err = "".join(capsys.readouterr())  # the progress lines
        assert err.index(f"{longest}: started") < err.index(f"{other}: started")
        again = json.loads(out.read_text())["results"]
        assert [(r["system"], r["variant"], r["invariant"], r["operation"], r["verdict"]) for r in again] == \
            [(r["system"], r["variant"], r["invariant"], r["operation"], r["verdict"]) for r in first]


def test_a_sat_first_step_takes_bitwuzlas_counterexample_and_leaves_the_rest_to_z3():
    """`sat_first`: Bitwuzla is asked first; its sat answer is the counterexample to the step
    (replayed concretely, named in cti_solver); an unsat one is not a proof: z3 is asked."""
    from dataclasses import replace

    from proofs.engine.step import step_check
    from proofs.systems.p2m import OBLIGATIONS as P2M
    from proofs.systems.p2m.machine import machine as p2m_machine

    m = p2m_machine("arm-p2m-upstream", Settings())
    refcount = replace(P2M["refcount"], sat_first=True)  # not inductive at set-1g
    cti = step_check(m, refcount, "set-1g", "z3", 60_000, first="bitwuzla")
    assert (cti.status, cti.cti_solver) == ("cti", "bitwuzla") and cti.cti
    plain = step_check(m, P2M["refcount"], "set-1g", "z3", 60_000, first="bitwuzla")
    assert (plain.status, plain.cti_solver) == ("cti", "") and plain.cti
    same = step_check(m, refcount, "set-1g", "z3", 60_000, first="z3")  # the run's solver: asked once
    assert same.cti_solver == ""
    proved = replace(P2M["reserved"], sat_first=True)
    ok = step_check(m, proved, "set-1g", "z3", 60_000, first="bitwuzla")
    assert (ok.status, ok.cti_solver, ok.vacuity) == ("proved", "", True)


def test_step_queries_on_explicit_words_go_to_z3_as_qf_bv_the_rest_as_qf_aufbv():
    """`logic_of`: the p2m's step query (its tables explicit words) is pure bit-vectors and z3
    gets its QF_BV solver for it; riscv-pt's (memory an array) stays QF_AUFBV; and the answer
    is the same either way (a proof stays a proof)."""
    from pysmt.logics import QF_AUFBV, QF_BV

    from proofs.engine.solver import UNSAT, check, logic_of
    from proofs.engine.step import step_query
    from proofs.systems.p2m import theorem as p2m_theorem
    from proofs.systems.p2m.machine import machine as p2m_machine
    from proofs.systems.riscv_pt.machine import machine as rv_machine

    q = step_query(p2m_machine("riscv-p2m-upstream", Settings()), p2m_theorem.OBLIGATIONS["reserved"], "set-1g", ())
    f = (q.assumptions & q.violation).node()
    assert logic_of(f) == QF_BV
    assert check(f, "z3", 300_000, None, QF_BV).status == check(f, "z3", 300_000, None).status == UNSAT
    rv = rv_machine(UPSTREAM, Settings())
    r = step_query(rv, OBLIGATIONS["wx"], next(iter(rv.operations)), ())
    assert logic_of((r.assumptions & r.violation).node()) == QF_AUFBV
