"""Mutation testing (`make mutants`): the catalogue is well formed, mutants are
judged against the base version's verdicts, and the exit status says whether
every survivor is explained."""
from __future__ import annotations

import json

import pytest

from model.cite import citations
from proofs import mutation, systems
from proofs.engine import Settings
from proofs.mutant import catalogue, select
from proofs.mutation import Control, Outcome, closure, exit_code, judge, run_control

UP = "riscv-pt-upstream"
QUICK = Settings(jobs=1)


def test_catalogue_has_at_least_30_distinct_one_function_mutants():
    mutants = catalogue()
    assert len({m.mutation.id for m in mutants}) >= 30
    assert len({m.id for m in mutants}) == len(mutants)
    for m in mutants:
        cls = m.model_class()
        base = systems.system(m.system).variants[m.base]
        assert cls.__mro__[1] is base
        own = {k for k, v in vars(cls).items() if callable(v) and k != "unmutated"}
        assert own == {m.mutation.function}, m.id  # exactly one function overridden, as a patch would
        assert callable(getattr(base, m.mutation.function)), m.id
        cited = {name: owner for name, _, owner in citations(cls)}
        assert cited[m.mutation.function] == cls.__name__, m.id  # the mutant's override is cited


def test_mutants_really_differ_from_their_base_somewhere():
    """Each override returns something other than the base on some input, or
    is listed with a reason to survive: no accidental no-op mutants."""
    m = select(["riscv-pt-upstream~pte-is-table-valid-only"])[0]
    cls, base = m.model_class(), systems.system(m.system).variants[UP]
    from model.term import bv

    pte = bv(0x3, 64)  # V|R: a leaf, which only the mutant calls a table
    assert bool(cls().pte_is_table(pte)) and not bool(base().pte_is_table(pte))


def test_closure_follows_the_lemmas_a_proof_assumes():
    c = closure(("wx", "map"))
    assert ("wx", "destroy") in c  # the wx lemma is proved by wx for every operation
    assert ("lemma-frame", "destroy") in c  # through wx's own destroy step
    assert closure(("no-overwrite", "map")) == [("no-overwrite", "map"), ("lemma-frame", "map")]  # per operation
    assert closure(("tlb", "map"))[0] == ("tlb", "map")


def test_select_by_mutation_id_takes_every_base_and_rejects_unknown_ids():
    both = select(["epilogue-no-flush"])
    assert {m.base for m in both} == {UP, "riscv-pt-v9"}
    with pytest.raises(mutation.PtproveError, match="unknown mutant 'nope'"):
        select(["nope"])


@pytest.fixture(scope="module")
def tlb_control() -> Control:
    ctl = run_control(UP, QUICK, ["tlb", "lemma-idle"])
    assert not ctl.mismatches and set(ctl.verdicts.values()) == {"proved"}
    return ctl


def test_a_missing_flush_is_killed_by_the_tlb_obligations(tlb_control):
    o = judge(f"{UP}~epilogue-no-flush", tlb_control, QUICK)
    assert o.status == "killed" and o.killed_by.split()[0] in ("tlb", "lemma-idle")
    assert o.how == "counterexample to the step"


def test_an_unrelated_mutant_survives_the_same_obligations(tlb_control):
    o = judge(f"{UP}~pte-assert-dropped", tlb_control, QUICK)
    assert o.status == "survived" and o.survives.startswith("equivalent")


def test_an_encoding_mutant_is_killed_by_an_encoding_check():
    ctl = run_control(UP, QUICK, ["enc-table"])
    o = judge(f"{UP}~pte-is-table-valid-only", ctl, QUICK)
    assert o.status == "killed" and o.killed_by.startswith("enc-table")


def test_a_control_that_disagrees_with_the_expectations_is_reported(tmp_path):
    data = {"version": 1, "variants": {UP: {"tlb": {"verdict": "violated", "reason": "pretend"}}}}
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(data))
    ctl = run_control(UP, QUICK, ["tlb"], str(path))
    assert ctl.mismatches == [f"{UP} tlb: expected violated, control gives proved"]
    assert exit_code([ctl], []) == 1


def _o(status: str, survives: str = "") -> Outcome:
    return Outcome("m", UP, "m", "f", "w", status, survives=survives)


@pytest.mark.parametrize("outcomes, status", [
    ([_o("killed"), _o("survived", "equivalent: x")], 0),
    ([_o("survived")], 1),  # a survivor nobody explained is a finding
    ([_o("killed", "equivalent: x")], 1),  # a stale reason
    ([_o("killed"), _o("unknown")], 3),
])
def test_exit_status(outcomes, status):
    assert exit_code([Control(UP, {}, {})], outcomes) == status


def test_cli_bad_input_is_one_line(capsys):
    assert mutation.main(["no-such-mutant"]) == 2
    assert mutation.main(["--obligation", "nope", "epilogue-no-flush"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("ptprove mutants: unknown") for line in err)


def test_cli_run_prints_score_and_writes_json(tmp_path, capsys):
    out = tmp_path / "m.json"
    status = mutation.main([f"{UP}~epilogue-no-flush", "--obligation", "tlb", "--obligation", "lemma-idle",
                            "--jobs", "1", "--json", str(out)])
    text = capsys.readouterr().out
    assert status == 0 and "score: 1 of 1 mutants killed" in text
    data = json.loads(out.read_text())
    assert data["outcomes"][0]["status"] == "killed" and data["summary"]["score"] == "1/1"


# -- any other system: decided by the engine like its versions -------------------------

@pytest.fixture
def toy(monkeypatch, tmp_path):
    import proofs.mutant
    from proofs import systems

    monkeypatch.setattr(systems, "SYSTEMS", [*systems.SYSTEMS, systems.System("toy", "tests.toy_system")])
    proofs.mutant.catalogue.cache_clear()
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({"version": 1, "variants": {"toy": {
        o: {"verdict": "proved", "reason": "3 is below it"} for o in ("below-5", "below-9", "lemma-bound")}}}))
    monkeypatch.setattr("proofs.expectations.known_ids", lambda: (["toy"], ["below-5", "below-9", "lemma-bound"]))
    yield str(exp)
    proofs.mutant.catalogue.cache_clear()


def test_a_mutant_of_another_system_is_judged_by_the_engine(toy):
    ctl = run_control("toy", QUICK, None, toy, system="toy")
    assert ctl.verdicts == {"below-5|bump": "proved", "below-9|bump": "proved",
                            "lemma-bound|bump": "proved"} and not ctl.mismatches
    killed = judge("toy~limit-seven", ctl, QUICK)
    assert (killed.status, killed.killed_by) == ("killed", "below-5 bump") and "violated, base proved" in killed.how
    survived = judge("toy~limit-four", ctl, QUICK)
    assert survived.status == "survived" and survived.survives.startswith("equivalent")
    from tests import toy_system

    assert set(toy_system.VERSIONS) == {"toy"}  # the mutant was registered only for its run
