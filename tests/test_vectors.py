"""Counterexample vectors: the format and its schema, canonicalisation, the
committed vectors (replay, fixpoint, regeneration, show) and bad input."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from model.riscv.machine import OP_MAP, OP_NAMES, OPS
from proofs import vector as vec
from proofs.systems.riscv_pt import vectors as rv
from proofs.systems.riscv_pt.machine import bounds, version
from proofs.cli import main
from proofs.engine import Settings
from proofs.systems.riscv_pt.theorem import OBLIGATIONS
from proofs.engine.result import Result
from proofs.systems.riscv_pt.trace import ConcreteCall

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "counterexamples"
ALL = vec.vector_files([COMMITTED])
FINDINGS = [f for f in ALL if "regression" not in f.parts]
V5 = "riscv-pt-v5"
SETTINGS = Settings()
#: a raw v5 trace as BMC returns it (solver-chosen values): RX leaf, then map(INVALID_MFN, RW)
RAW_WX = ([ConcreteCall(OP_MAP, (0x801000000, 0x8c91040200, 0x1, 0x40b)),
           ConcreteCall(OP_MAP, (0x801000000, 0xFFFF_FFFF_FFFF_FFFF, 0x6dfe, 0x407))], 0x801000000)


def _id(p: Path) -> str:
    return str(p.relative_to(COMMITTED))


# -- the format ------------------------------------------------------------------

def _a_vector() -> dict:
    return vec.load(COMMITTED / V5 / "wx.json")


def test_committed_vectors_exist_for_every_finding():
    names = {_id(f) for f in FINDINGS}
    assert {"riscv-pt-v5/wx.json", "riscv-pt-v5/well-formed.json", "riscv-pt-v5/enc-mapping.json",
            "riscv-pt-upstream/lemma-progress.json", "riscv-pt-v9/functional.json"} <= names


def test_schema_accepts_a_vector_and_rejects_each_broken_field():
    v = _a_vector()
    assert vec.validate(v, vec.schema()) == []
    for path, bad in [(("verdict",), "maybe"), (("calls", 0, "rc_value"), "zero"),
                      (("expected", "tables", 0, "frame"), "4096"), (("obligation",), [])]:
        broken = copy.deepcopy(v)
        target = broken
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = bad
        assert vec.validate(broken, vec.schema()), path
    del v["solver"]
    assert any("missing 'solver'" in e for e in vec.validate(v, vec.schema()))


@pytest.mark.parametrize("text, words", [
    ("{not json", "not JSON"),
    ('{"format": "ptprove-vector", "format_version": 2}', "format version 2"),
    ('{"format": "something-else"}', "not a ptprove vector"),
    ("[1, 2]", "not a ptprove vector"),
])
def test_bad_vector_files_are_one_line_exit_2(tmp_path, capsys, text, words):
    f = tmp_path / "v.json"
    f.write_text(text)
    for cmd in (["replay", str(f)], ["show", str(f)]):
        assert main(cmd) == 2
        err = capsys.readouterr().err
        assert err.startswith("ptprove: error:") and words in err and len(err.strip().splitlines()) == 1


def test_invalid_vector_names_the_field(tmp_path, capsys):
    v = _a_vector()
    v["calls"][0]["call"] = "remap"
    f = tmp_path / "v.json"
    f.write_text(json.dumps(v))
    assert main(["replay", str(f)]) == 2
    assert "$.calls[0].call" in capsys.readouterr().err


def _set(v: dict, path: tuple, value) -> dict:
    target = v
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    return v


@pytest.mark.parametrize("path, bad, field", [
    (("violation",), "at step 3", "$.violation: expected object or null, got str"),
    (("violation", "witness_va"), "4096", "$.violation.witness_va"),
    (("violation", "witness_va"), "0x1000zz", "$.violation.witness_va"),  # the whole string is hex
    (("violation", "step"), "one", "$.violation.step: expected integer"),
    (("violation", "entries"), {}, "$.violation.entries: expected array"),
])
def test_a_malformed_violation_is_one_line_exit_2_naming_the_field(tmp_path, capsys, path, bad, field):
    """The loader validates `violation` like every other field: a bad witness is one
    error line for replay and show, never a traceback."""
    f = tmp_path / "v.json"
    f.write_text(json.dumps(_set(_a_vector(), path, bad)))
    for cmd in (["replay", str(f)], ["show", str(f)]):
        assert main(cmd) == 2
        err = capsys.readouterr().err
        assert field in err and len(err.strip().splitlines()) == 1, err


def test_a_violation_missing_a_required_key_is_refused(tmp_path, capsys):
    v = _a_vector()
    del v["violation"]["witness_va"]
    f = tmp_path / "v.json"
    f.write_text(json.dumps(v))
    assert main(["replay", str(f)]) == 2
    assert "$.violation: missing 'witness_va'" in capsys.readouterr().err


def test_an_encoding_vector_needs_at_least_one_entry():
    v = vec.load(COMMITTED / V5 / "enc-mapping.json")
    assert vec.validate(v, vec.schema()) == []
    v["entries"] = []
    assert vec.validate(v, vec.schema()) == ["$.entries: fewer than 1 items"]


@pytest.mark.parametrize("schema, value, errors", [
    ({"type": "string", "pattern": "0x[0-9a-f]+"}, "0x1f", []),
    ({"type": "string", "pattern": "0x[0-9a-f]+"}, "0x1fz", ["$: '0x1fz' does not match 0x[0-9a-f]+"]),
    ({"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False},
     {"a": 1, "b": 2}, ["$: unexpected key 'b'"]),
    ({"type": "object", "properties": {"a": {"type": "integer"}}}, {"a": 1, "b": 2}, []),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 3, ["$: matches 2 of the allowed shapes, not 1"]),
    ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, 3, []),
    ({"type": "array", "minItems": 2}, [1], ["$: fewer than 2 items"]),
    ({"type": "array", "minItems": 2}, [1, 2], []),
    ({"type": "integer"}, True, ["$: expected integer, got bool"]),
])
def test_the_validator_implements_each_keyword_it_claims(schema, value, errors):
    """The JSON Schema subset of proofs/vector.py, keyword by keyword (the vector
    schema does not use all of them yet; a schema that does must be enforced)."""
    assert vec.validate(value, schema) == errors


def test_missing_vector_file_is_one_line(capsys):
    assert main(["replay", "/nonexistent/v.json"]) == 2
    assert "cannot read" in capsys.readouterr().err


# -- canonicalisation ----------------------------------------------------------------

def test_canonical_shrink_is_deterministic_and_minimal():
    v = version(V5, SETTINGS)
    inv = OBLIGATIONS["wx"]
    first = rv.canonical(v, inv, *RAW_WX)
    second = rv.canonical(v, inv, *RAW_WX)
    assert first == second
    calls, va = first
    a = vec.dumps(rv.build(v, inv, calls, va, bounds(SETTINGS), "z3"))
    b = vec.dumps(rv.build(v, inv, *second, bounds(SETTINGS), "z3"))
    assert a == b
    # the bug needs an RX leaf, then map(INVALID_MFN) with W: nothing else survives
    assert [c.op for c in calls] == [OP_MAP, OP_MAP] and va == 0
    assert calls[1].args[1] == 0xFFFF_FFFF_FFFF_FFFF and calls[0].args[2] == calls[1].args[2] == 1
    assert rv.canonical(v, inv, calls, va) == (calls, va)  # a fixpoint


def test_a_trace_that_does_not_break_is_refused():
    v = version("riscv-pt-upstream", SETTINGS)
    with pytest.raises(vec.VectorError):
        rv.canonical(v, OBLIGATIONS["wx"], *RAW_WX)


# -- the committed vectors -----------------------------------------------------------

@pytest.mark.parametrize("path", ALL, ids=_id)
def test_committed_vector_replays_is_canonical_and_shows(path):
    v = vec.load(path)
    p = vec.plugin_for(v)
    assert p.replay(v) == []
    assert p.is_canonical(v)
    assert vec.dumps(v) == path.read_text()
    text = p.render(v)
    assert v["version"] in text and v["obligation"]["statement"] in text
    if v["verdict"] == "violated" and v["kind"] == "trace" and v["violation"]["entries"]:
        assert "<== breaks" in text
    assert p.dot(v).startswith("digraph")


def test_tampered_vector_does_not_reproduce(tmp_path, capsys):
    v = _a_vector()
    v["calls"][1]["rc"] = "-EINVAL"
    v["expected"]["tables"][-1]["entries"][0]["raw"] = "0xcb"
    f = tmp_path / "v.json"
    f.write_text(vec.dumps(v))
    assert main(["replay", str(f)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "returns 0, the vector says -EINVAL" in out and "0 of 1" in out


def _regenerate(path: Path) -> str:
    """What `ptprove prove --vectors` writes for this (version, obligation), given
    the verdicts of its operations (the trace itself is found afresh)."""
    old = vec.load(path)
    by_name = {name: k for k, name in OP_NAMES.items()}
    ob = old["obligation"]
    results = [Result(old["version"], ob["id"], OPS[by_name[name]], "violated", bounds(SETTINGS), "z3", 0.0,
                      extra={"trace_steps": old["bounds"]["trace_steps"] if name == ob["vector_from"] else 99,
                             "replay": {}},
                      system="riscv-pt")
               for name in ob["violated_in"]]
    [new] = vec.from_results(results, SETTINGS)
    return vec.dumps(new)


@pytest.mark.parametrize("name", ["riscv-pt-v5/wx.json", "riscv-pt-upstream/lemma-progress.json"])
def test_regenerated_vector_is_byte_identical(name):
    assert _regenerate(COMMITTED / name) == (COMMITTED / name).read_text()


def test_regression_vectors_are_what_ptprove_vectors_writes(tmp_path, capsys):
    assert main(["vectors", "--variant", V5, "--out", str(tmp_path)]) == 0
    made = sorted((tmp_path / V5 / "regression").glob("*.json"))
    committed = sorted((COMMITTED / V5 / "regression").glob("*.json"))
    assert [f.name for f in made] == [f.name for f in committed] and len(made) >= 15
    for a, b in zip(made, committed):
        assert a.read_text() == b.read_text(), a.name
    names = {f.stem for f in made}
    assert {"map-2m-ok", "map-wx-einval", "map-pool-exhausted-enoent", "destroy-inside-2m-eopnotsupp"} <= names


# -- show ------------------------------------------------------------------------------

def test_show_marks_the_breaking_entry_and_draws(tmp_path, capsys):
    svg, dot = tmp_path / "t.svg", tmp_path / "t.dot"
    assert main(["show", str(COMMITTED / V5 / "wx.json"), "--svg", str(svg), "--dot", str(dot)]) == 0
    out = capsys.readouterr().out
    assert "V R W X - - A D" in out and "<== breaks wx" in out and "-> 0" in out
    assert svg.read_text().startswith("<svg") and 'fill="red"' in svg.read_text()
    assert "red" in dot.read_text()


# -- prove --vectors: writing and comparing --------------------------------------------

def test_sync_writes_new_reports_differing_and_stale(tmp_path):
    v = _a_vector()
    req = {(V5, "wx"), (V5, "tlb")}
    assert vec.sync([v], tmp_path, req, update=False) == []
    target = tmp_path / V5 / "wx.json"
    assert target.read_text() == vec.dumps(v)
    target.write_text("{}\n")
    (tmp_path / V5 / "tlb.json").write_text("{}\n")
    lines = vec.sync([v], tmp_path, req, update=False)
    assert any(ln.startswith("VECTOR DIFFERS") for ln in lines)
    assert any(ln.startswith("STALE VECTOR") for ln in lines)
    assert target.read_text() == "{}\n"  # not rewritten without --update
    vec.sync([v], tmp_path, req, update=True)
    assert target.read_text() == vec.dumps(v) and not (tmp_path / V5 / "tlb.json").exists()


# -- not-inductive: a counterexample to the step as a vector ---------------------------

def test_not_inductive_step_becomes_a_replayable_vector():
    from helpers import rv_step

    v = version("riscv-pt-upstream", SETTINGS)
    # without the tree lemma a CTI exists; with the frame and pool lemmas its loop registers and
    # table levels are in range, as in every CTI `prove` reports (with no lemmas at all, z3 may
    # pick a level past the mode's, which the renderer rejects, depending on earlier queries)
    out = rv_step(v, OBLIGATIONS["well-formed"], OP_MAP, needs=("frame", "pool"))
    assert out.status == "cti" and out.cti["pre_state"]["cells"]
    # (from_results re-decides the obligation with its lemmas, where it is proved: build it directly)
    v1 = rv.step_vector(v, OBLIGATIONS["well-formed"], out.cti["pre_state"], int(out.cti["witness_va"], 16),
                        bounds(SETTINGS), "z3")
    vec.check(json.loads(vec.dumps(v1)))
    assert v1["kind"] == "step" and v1["expected"]["after"] == "step"
    p = vec.plugin_for(v1)
    assert p.replay(v1) == []
    assert "NOT INDUCTIVE" in p.render(v1) and p.svg(v1).startswith("<svg")
    mail = p.mail(v1)
    assert "None" not in mail and "None" not in p.render(v1)
    assert max(map(len, mail.splitlines())) <= 72 and "Verdict:   not inductive" in mail
    v1["expected"]["tables"] = []
    assert p.replay(v1) == ["the tables after the step differ from the vector's"]


def test_search_all_keeps_a_committed_vector_that_still_replays_and_flags_one_that_does_not(tmp_path):
    """--search-all re-finds every trace: a vector made from another trace of the same violation
    is no difference while the committed one still replays; a committed vector that no longer
    replays (here its breaking call edited away) is one."""
    import json
    import shutil

    committed = COMMITTED / V5 / "wx.json"
    target = tmp_path / V5 / "wx.json"
    target.parent.mkdir(parents=True)
    shutil.copy(committed, target)
    other = json.loads(committed.read_text())
    other["solver"] = "another"  # any byte difference: what a search by another trace produces
    req = {(V5, "wx")}
    [line] = vec.sync([other], tmp_path, req, update=False, searched=True)
    assert line.startswith("vector kept") and target.read_text() == committed.read_text()
    assert vec.sync([other], tmp_path, req, update=False)[0].startswith("VECTOR DIFFERS")
    broken = json.loads(committed.read_text())
    broken["calls"] = broken["calls"][:-1]
    target.write_text(vec.dumps(broken))
    [line] = vec.sync([other], tmp_path, req, update=False, searched=True)
    assert line.startswith("VECTOR DIFFERS")


def test_fresh_search_asks_the_search_solver_where_the_run_solver_gives_up(monkeypatch):
    """A fresh search for a vector's trace that the run's solver answers unknown (z3's timeout
    on arm-pt-upstream contig) is asked of the search solver, not reported unknown."""
    from proofs.engine import search as search_module
    from proofs.systems import trace_vectors

    real, asked = search_module.search, []

    def search(m, targets, depth, solver, *args, **kw):
        asked.append(solver)
        if solver == "z3":
            [out] = real(m, targets, depth, solver, *args, **kw)
            out.status = "unknown"
            return [out]
        return real(m, targets, depth, solver, *args, **kw)

    monkeypatch.setattr(search_module, "search", search)
    depth = vec.load(COMMITTED / V5 / "wx.json")["bounds"]["trace_steps"]
    kind, calls, _ = trace_vectors.fresh_counterexample(("trace", V5, "wx", OP_MAP, SETTINGS, depth))
    assert asked == ["z3", "bitwuzla"] and kind == "trace" and calls
