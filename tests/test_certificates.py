"""Committed traces (proofs/engine/certificates.py): a violated verdict re-established
by replaying its committed trace, the search when it no longer reproduces, the
comparison with what a run establishes, and bad files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from proofs import vector as vec
from proofs.cli import main
from proofs.engine import Settings, certificates, decide as engine
from proofs.engine.result import Result

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "counterexamples"
V9 = "riscv-pt-v9"
MODULE = "proofs.systems.riscv_pt"
TRACE_FILES = sorted(COMMITTED.glob(f"*/{certificates.FILE}"))


def _decide(settings: Settings, oid: str = "tables-kept") -> list[Result]:
    return engine.decide(MODULE, [V9], [oid], settings)


def test_every_state_machine_version_with_a_violation_has_committed_traces():
    assert {p.parent.name for p in TRACE_FILES} >= {"riscv-pt-v5", "riscv-pt-v9", "riscv-pt-upstream",
                                                   "arm-pt-upstream", "riscv-p2m-upstream"}


@pytest.mark.parametrize("path", TRACE_FILES, ids=lambda p: p.parent.name)
def test_committed_traces_are_canonical_bytes(path):
    assert certificates.dumps(json.loads(path.read_text())) == path.read_text()


def test_a_committed_trace_establishes_the_verdict_without_a_search(monkeypatch):
    searched, real = [], engine.search

    def spy(m, targets, *args, **kwargs):
        searched.extend((ob.id, op) for ob, op in targets)
        return real(m, targets, *args, **kwargs)

    stepped, real_step = [], engine.step_check

    def step_spy(m, ob, op, *args, **kwargs):
        stepped.append((ob.id, op))
        return real_step(m, ob, op, *args, **kwargs)

    monkeypatch.setattr(engine, "search", spy)
    monkeypatch.setattr(engine, "step_check", step_spy)
    [r] = [r for r in _decide(Settings(jobs=1, certificates=str(COMMITTED))) if r.verdict == "violated"]
    assert ("tables-kept", r.extra["operation_key"]) not in searched + stepped
    assert [op for ob, op in stepped if ob == "tables-kept"] == ["map", "destroy", "modify"], \
        "the other operations are still decided by the solver"
    assert r.extra[certificates.ESTABLISHED_BY] == "committed trace"
    assert "replayed (no search ran" in r.detail and "traces.json" in r.detail
    assert r.counterexample["calls"], "the replayed trace is decoded like a searched one"


def test_a_trace_that_no_longer_breaks_goes_to_the_search_and_differs(tmp_path):
    data = json.loads((COMMITTED / V9 / certificates.FILE).read_text())
    [op] = data["traces"]["tables-kept"]
    data["traces"]["tables-kept"][op]["step_calls"] = data["traces"]["tables-kept"][op]["step_calls"][:1]
    (tmp_path / V9).mkdir()
    (tmp_path / V9 / certificates.FILE).write_text(certificates.dumps(data))
    results = _decide(Settings(jobs=1, certificates=str(tmp_path)))
    [r] = [r for r in results if r.verdict == "violated"]
    assert r.extra[certificates.ESTABLISHED_BY] == "search"
    files = certificates.produced(results, {})
    lines = certificates.sync(files, tmp_path, {(V9, "tables-kept")}, update=False)
    assert len(lines) == 1 and lines[0].startswith("TRACE DIFFERS") and f"tables-kept {op}" in lines[0]
    certificates.sync(files, tmp_path, {(V9, "tables-kept")}, update=True)
    assert certificates.load(str(tmp_path), V9)[("tables-kept", op)] == r.extra["replay"]


def test_sync_adds_new_traces_keeps_undecided_ones_and_flags_a_fixed_obligation(tmp_path):
    trace = {"va": "0x0", "step_calls": [[0, ["0x0", "0x0", "0x1", "0x3"]]]}
    violated = Result(V9, "wx", "map", "violated", {}, "z3", 0.0, system="riscv-pt",
                      extra={"replay": trace, "operation_key": "map"})
    files = certificates.produced([violated], {})
    assert certificates.sync(files, tmp_path, {(V9, "wx")}, update=False) == []
    assert certificates.load(str(tmp_path), V9) == {("wx", "map"): trace}
    # a run that decides only another obligation keeps wx's trace
    assert certificates.sync({}, tmp_path, {(V9, "tlb")}, update=False) == []
    assert ("wx", "map") in certificates.load(str(tmp_path), V9)
    # wx decided and no longer violated: a difference, removed with --update
    [line] = certificates.sync({}, tmp_path, {(V9, "wx")}, update=False)
    assert line.startswith("TRACE DIFFERS") and "no longer violated" in line
    certificates.sync({}, tmp_path, {(V9, "wx")}, update=True)
    assert not certificates.path(tmp_path, V9).exists()


@pytest.mark.parametrize("text,words", [("nope", "not JSON"), ('{"format": "x"}', "not a ptprove traces file"),
                                        ('{"format": "ptprove-traces", "format_version": 9}', "version 9"),
                                        ('{"format": "ptprove-traces", "format_version": 1, "traces": []}',
                                         "'traces' must map")])
def test_a_bad_traces_file_is_one_line_exit_2(tmp_path, capsys, text, words):
    (tmp_path / V9).mkdir()
    (tmp_path / V9 / certificates.FILE).write_text(text)
    status = main(["prove", "--variant", V9, "--invariant", "tables-kept", "--jobs", "1",
                   "--vectors", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and words in err[0]


def test_search_all_needs_vectors(capsys):
    assert main(["prove", "--variant", V9, "--search-all"]) == 2
    assert "--search-all needs --vectors" in capsys.readouterr().err


@pytest.mark.parametrize("path", [p for p in vec.vector_files([COMMITTED])
                                  if json.loads(p.read_text())["verdict"] == "violated"
                                  and json.loads(p.read_text())["kind"] == "trace"],
                         ids=lambda p: str(p.relative_to(COMMITTED)))
def test_a_vector_is_the_committed_trace_of_its_operation(path):
    """What makes the vectors byte-identical when their traces are replayed: the
    trace committed for the vector's operation is the vector's own."""
    v = vec.load(path)
    op, trace = vec.plugin_for(v).certificate(v)
    assert op == v["obligation"]["vector_from"]
    assert certificates.load(str(COMMITTED), v["version"])[(v["obligation"]["id"], op)] == trace


def test_after_search_all_another_valid_trace_is_not_a_difference(tmp_path):
    old = {"va": "0x0", "step_calls": [[0, ["0x0", "0x0", "0x1", "0x3"]]]}
    other = {"va": "0x1000", "step_calls": [[0, ["0x1000", "0x0", "0x1", "0x3"]]]}
    result = Result(V9, "wx", "map", "violated", {}, "z3", 0.0, system="riscv-pt",
                    extra={"replay": other, "operation_key": "map"})
    certificates.sync(certificates.produced([dict_result(old)], {}), tmp_path, {(V9, "wx")}, update=False)
    files = certificates.produced([result], {})
    assert certificates.sync(files, tmp_path, {(V9, "wx")}, update=False, searched=True) == []
    assert certificates.load(str(tmp_path), V9)[("wx", "map")] == old, "the committed trace is kept"
    [line] = certificates.sync(files, tmp_path, {(V9, "wx")}, update=False)
    assert line.startswith("TRACE DIFFERS")


def dict_result(trace: dict) -> Result:
    return Result(V9, "wx", "map", "violated", {}, "z3", 0.0, system="riscv-pt",
                  extra={"replay": trace, "operation_key": "map"})
