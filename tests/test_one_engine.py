"""One engine for every system: every system gets every engine feature, and a new
version or a new system needs no edit to the engine."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

import proofs.engine.confirm as confirm_module
from model.term import TRUE
from proofs import systems
from proofs.cli import main
from proofs.engine import Settings
from proofs.engine.decide import decide
from proofs.engine.solver import Answer, available
from tests.toy_system.model import Toy

#: one cheap (version, obligation) per registered system
CHEAP = {
    "encodings": ("arm-lpae", "enc-table"),
    "riscv-pt": ("riscv-pt-upstream", "refusal"),
    "arm-pt": ("arm-pt-upstream", "lemma-pool"),
    "riscv-fixmap": ("riscv-fixmap-upstream", "layout-slots"),
    "p2m": ("riscv-p2m-v5", "refcount"),
}


def test_every_registered_system_is_covered_here():
    assert set(CHEAP) == {s.id for s in systems.SYSTEMS}


@pytest.mark.parametrize("sid", list(CHEAP))
def test_export_writes_every_system(sid, tmp_path, capsys):
    version, oid = CHEAP[sid]
    assert main(["export", "--smtlib", str(tmp_path), "--variant", version, "--invariant", oid]) == 0
    files = sorted((tmp_path / version / oid).glob("*.smt2"))
    assert files and f"wrote {len(files)} SMT-LIB files" in capsys.readouterr().out
    for f in files:
        text = f.read_text()
        assert f"; obligation: {version} {oid}" in text and "(check-sat)" in text
        assert text.split("; expected: ")[1].split()[0] == ("sat" if "vacuity" in f.name else "unsat")


def test_export_of_nothing_is_a_usage_error(tmp_path, capsys):
    # wx is no encoding obligation: nothing to write for arm-lpae
    assert main(["export", "--smtlib", str(tmp_path), "--variant", "arm-lpae", "--invariant", "wx"]) == 2
    assert "nothing to export" in capsys.readouterr().err


@pytest.mark.skipif(not available("cvc5"), reason="cvc5 not installed")
@pytest.mark.parametrize("sid", list(CHEAP))
def test_confirm_rechecks_every_system(sid, monkeypatch, capsys):
    """A second solver that answers sat on everything must contradict this system's proofs."""
    version, oid = CHEAP[sid]
    monkeypatch.setattr(confirm_module, "check", lambda formula, solver, timeout_ms: Answer("sat"))
    assert main(["prove", "--variant", version, "--invariant", oid, "--jobs", "1",
                 "--confirm", "cvc5"]) == 1
    out = capsys.readouterr().out
    assert f"DISAGREEMENT: {version} {oid}" in out


def test_a_lemma_false_initially_proves_nothing_in_riscv_pt(monkeypatch):
    """riscv-pt's lemma-idle is inductive; started with a stale TLB it is not proved."""
    import proofs.systems.riscv_pt.machine as rvm

    real = rvm.RiscvPtMachine.initial
    monkeypatch.setattr(rvm.RiscvPtMachine, "initial",
                        lambda self, params=None: replace(real(self), tlb_stale=TRUE))
    results = decide("proofs.systems.riscv_pt", ["riscv-pt-upstream"], ["lemma-idle"],
                     Settings(jobs=1, depth=1))
    assert {r.verdict for r in results} != {"proved"}
    assert all("does not hold in the initial state" in r.detail for r in results)


# -- a toy version and a toy system, the engine untouched ---------------------------

class ToyRaised(Toy):
    """A patch version: one override."""

    name = "toy-raised"

    def limit(self) -> int:
        return 7


@pytest.fixture
def toy(monkeypatch):
    """The toy system in the registry (one line), for this test only."""
    monkeypatch.setattr(systems, "SYSTEMS", [*systems.SYSTEMS, systems.System("toy", "tests.toy_system")])
    import tests.toy_system.versions as toy_versions

    return toy_versions


def test_a_toy_system_and_version_are_decided_by_the_engine(toy, monkeypatch, tmp_path):
    monkeypatch.setitem(toy.VERSIONS, ToyRaised.name, ToyRaised)  # the version's one registry line
    s = systems.system("toy")
    rs = {(r.variant, r.invariant): r for r in s.run(["toy", "toy-raised"], ["below-5", "below-9"],
                                                     Settings(jobs=1))}
    assert rs[("toy", "below-5")].verdict == "proved" and rs[("toy", "below-5")].vacuity is True
    raised = rs[("toy-raised", "below-5")]
    assert raised.verdict == "violated" and raised.extra["trace_steps"] == 5
    assert raised.counterexample["final"] == 5 and raised.system == "toy"
    assert rs[("toy-raised", "below-9")].verdict == "proved"
    assert raised.where.startswith("tests/toy_system/theorem.py:")


def test_a_toy_lemma_false_initially_is_not_proved(toy, monkeypatch):
    from model.term import bv
    import tests.toy_system.machine as toy_machine

    monkeypatch.setattr(toy_machine.ToyMachine, "initial", lambda self, params=None: bv(4, 8))
    rs = systems.system("toy").run(["toy"], ["below-5"], Settings(jobs=1))
    assert [r.verdict for r in rs] != ["proved"]
    assert "lemma 'bound' does not hold in the initial state" in rs[0].detail \
        or "not proved for this version" in rs[0].detail


def test_where_is_the_statement_itself():
    from proofs.systems.riscv_pt.theorem import LEMMAS, loop_progress
    import inspect

    path, line = LEMMAS["lemma-progress"].where.rsplit(":", 1)
    assert path == "proofs/systems/riscv_pt/theorem.py"
    assert int(line) == inspect.getsourcelines(loop_progress)[1]
    for s in systems.SYSTEMS:
        for oid, ob in s.obligations.items():
            path, line = ob.where.rsplit(":", 1)
            assert path.endswith(".py") and int(line) > 0, (s.id, oid)


def test_no_system_imports_another_systems_internals():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "proofs" / "systems"
    packages = {p.name for p in root.iterdir() if (p / "__init__.py").exists()}
    allowed = {("encodings", "riscv_pt.versions")}  # the encodings check riscv-pt's versions
    for pkg in packages:
        for f in (root / pkg).glob("*.py"):
            for node in ast.walk(ast.parse(f.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("proofs.systems."):
                    other = node.module.split(".")[2]
                    rest = ".".join(node.module.split(".")[2:])
                    if other in packages and other != pkg:
                        assert (pkg, rest) in allowed, f"{f.name} of {pkg} imports {node.module}"


def test_report_json_names_each_result_system(tmp_path):
    report = tmp_path / "r.json"
    main(["prove", "--variant", "riscv-fixmap-upstream", "--invariant", "layout-slots", "--jobs", "1",
          "--json", str(report)])
    (r,) = json.loads(report.read_text())["results"]
    assert r["system"] == "riscv-fixmap" and r["verdict"] == "proved"


def test_refines_is_a_result_like_any_other_in_prove(tmp_path):
    """`make prove` decides `refines` for each riscv-pt version whose C is at hand: one
    result per unit, proved, with the C file and its sha256 in the bounds."""
    from needs import shared_dir

    xen = shared_dir() / "xen"
    report = tmp_path / "r.json"
    assert main(["prove", "--variant", "riscv-pt-v9", "--invariant", "refines", "--jobs", "1",
                 "--xen-src", str(xen), "--json", str(report)]) == 0
    results = json.loads(report.read_text())["results"]
    units = {r["operation"] for r in results}
    assert {"pt_check_entry", "pt_update_entry", "pt_update loop iteration"} <= units
    assert all(r["verdict"] == "proved" and r["vacuity"] is True for r in results)
    assert all(len(r["bounds"]["c_sha256"]) == 64 and r["bounds"]["c_file"].endswith("pt.c")
               for r in results)
    assert any("44-bit" in " ".join(r["extra"]["assumptions"]) for r in results)  # stated in the result


def test_refines_without_the_c_has_no_result(tmp_path, capsys):
    """A Xen tree without the version's pt.c: nothing to refine, and the run says the
    expected verdict is missing (exit 1), never that it proved something."""
    assert main(["prove", "--variant", "riscv-pt-v9", "--invariant", "refines", "--jobs", "1",
                 "--xen-src", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "riscv-pt-v9 refines" in out.out and "no C of riscv-pt-v9 at hand" in out.err


def test_refines_of_one_c_file(tmp_path, capsys):
    """`--c-source FILE` refines that file, for the one version selected."""
    from needs import xen_file

    c = xen_file("riscv-pt-upstream", "xen/arch/riscv/pt.c")
    report = tmp_path / "r.json"
    assert main(["prove", "--variant", "riscv-pt-upstream", "--invariant", "refines", "--jobs", "1",
                 "--c-source", str(c), "--json", str(report)]) == 0
    results = json.loads(report.read_text())["results"]
    assert results and {r["bounds"]["c_file"] for r in results} == {str(c)}
    assert main(["prove", "--invariant", "refines", "--variant", "riscv-pt-v9,riscv-pt-upstream",
                 "--c-source", str(c)]) == 2
    assert "exactly one riscv-pt --variant" in capsys.readouterr().err
