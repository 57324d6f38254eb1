"""`ptprove prove --c-source pt.c`: the lifted C as a riscv-pt version of its own.

Its step is the lifted prologue or loop iteration on the model's State, its ghost state
is reconstructed from the execution (model/c/ghost.py), its traces are replayed on the
compiled C.  The fast tests run it concretely and check its bad-input handling; the slow
ones decide every obligation (the cross-check with the model versions' verdicts).
"""
from __future__ import annotations

import json

import pytest

from needs import c_compiler, require

from proofs.cli import main
from proofs.refine.sources import versions_at_hand

AT_HAND = versions_at_hand()
slow = pytest.mark.slow
#: the insert path of pt_check_entry no longer refuses a valid entry (the first test is the insert's)
INSERT_CHECK = ("        if ( pte_is_valid(entry) )\n        {\n            if ( pte_is_mapping(entry) )",
                "        if ( 0 )\n        {\n            if ( pte_is_mapping(entry) )")


def c_of(version: str):
    require(version in AT_HAND, f"the C of {version} is not here (../shared/xen, ../shared/seeds)")
    return AT_HAND[version]


def patched(tmp_path, old: str, new: str, version: str = "riscv-pt-upstream"):
    text = c_of(version).read_text()
    assert text.count(old) == 1, old
    out = tmp_path / "pt.c"
    out.write_text(text.replace(old, new))
    return out


def lifted(path, base: str = "riscv-pt-upstream"):
    """The lifted C of `path` (not registered as a version: nothing else sees it)."""
    from proofs.systems.riscv_pt.c_version import CSpec, c_version

    return c_version(CSpec(str(path), f"riscv-pt-c-test-{base}", base), "sv39", 4)


@pytest.fixture(autouse=True)
def registry_unchanged():
    """No test leaves a lifted version in the registry (the CLI removes its own)."""
    from proofs.systems.riscv_pt.versions import VERSIONS

    before = dict(VERSIONS)
    yield
    assert VERSIONS == before
    VERSIONS.clear()
    VERSIONS.update(before)


# -- the step, concretely ------------------------------------------------------------------

CALLS = [(0, (0, 0x80000, 1, 0x7)), (0, (0x200000, 0x80200, 512, 0x3)), (0, (0, 0x90000, 1, 0x7)),
         (3, (0, 1, 0x3, 0)), (2, (0x40000000, 512, 0, 0)), (1, (0, 0x400000, 0, 0)),
         (0, (0x1001, 0, 1, 0x7)), (0, (0x3000, 0, 1, 0xf))]


@pytest.mark.parametrize("version", ["riscv-pt-v5", "riscv-pt-v9", "riscv-pt-upstream"])
def test_the_lifted_c_steps_as_its_model_does_with_the_same_ghost_state(version):
    """Call by call and step by step: return codes, memory, allocator with the level and
    parent of each table page, the writes with their level and writer, the descents."""
    from proofs.systems.riscv_pt.trace import ConcreteCall
    from proofs.systems.riscv_pt.vectors import run

    c = lifted(c_of(version), version)
    calls = [ConcreteCall(op, args) for op, args in CALLS]
    mine, theirs = run(c, None, calls, 0), run(c.base, None, calls, 0)
    assert len(mine.steps) == len(theirs.steps) > len(calls)

    def seen(st):
        return ([(int(w.frame), int(w.idx), int(w.level), w.why, int(w.old), int(w.new))
                 for w in st.writes if bool(w.guard)],
                [(int(d.frame), int(d.idx), d.level, int(d.entry)) for d in st.descents if bool(d.guard)],
                int(st.post.pc), int(st.post.rc), int(st.post.next_free), bool(st.post.tlb_stale),
                bool(st.post.applied), [int(x) for x in st.post.pool_level],
                [(int(f), int(i)) for f, i in st.post.pool_parent],
                # the loop variables, and the chunk an iteration covered, where they mean something
                (int(st.post.vfn), int(st.post.mfn), int(st.post.start), int(st.post.nr), int(st.post.flags))
                if int(st.post.pc) == 1 else None,
                (int(st.post.vfn), int(st.post.mfn), int(st.level))
                if int(st.pre.pc) == 1 and int(st.post.rc) == 0 else None)
    for a, b in zip(mine.steps, theirs.steps):
        assert seen(a) == seen(b)
    assert mine.final.mem.cells == theirs.final.mem.cells


def test_a_trace_of_the_lifted_c_is_replayed_on_the_compiled_c(tmp_path):
    c_compiler()
    from proofs.systems.riscv_pt.trace import ConcreteCall

    c = lifted(c_of("riscv-pt-upstream"))
    got = c.replay_compiled([ConcreteCall(0, (0, 0x80000, 1, 0x7)), ConcreteCall(0, (0, 0x80001, 1, 0x7))])
    assert got["replayed"] is True and got["differences"] == []
    bad = lifted(patched(tmp_path, "pte = pte_from_mfn(mfn, PTE_TABLE);", "pte = pte_from_mfn(mfn, PTE_TABLE | PTE_USER);"))
    bad.c_source.write_text(c_of("riscv-pt-upstream").read_text())  # the compiled C is the unpatched one
    got = bad.replay_compiled([ConcreteCall(0, (0, 0x80000, 1, 0x7))])
    assert got["replayed"] is False and any("table" in d for d in got["differences"])


# -- bad input: one line, exit 2 -------------------------------------------------------------

def _one_line_exit_2(argv, capsys, *words) -> str:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("ptprove: error: ") and "Traceback" not in err
    assert "started" not in out  # refused before any work
    for w in words:
        assert w in err
    return err


def test_c_source_without_a_file_or_with_a_missing_one(capsys):
    _one_line_exit_2(["prove", "--c-source"], capsys, "--c-source")
    _one_line_exit_2(["prove", "--c-source", "/nonexistent/pt.c"], capsys, "no such file")


def test_a_c_file_that_does_not_compile(tmp_path, capsys):
    c = patched(tmp_path, "static bool pt_check_entry(", "static bool pt_check_entry(}")
    _one_line_exit_2(["prove", "--c-source", str(c)], capsys, "pt.c")


def test_a_construct_the_lifter_does_not_model(tmp_path, capsys):
    c = patched(tmp_path, "    /* Sanity check when modifying an entry. */\n",
                "    /* Sanity check when modifying an entry. */\n    asm volatile ( \"nop\" );\n")
    _one_line_exit_2(["prove", "--c-source", str(c)], capsys, str(c), "pt_check_entry", "inline asm")


def test_name_and_base_are_checked(capsys, tmp_path):
    up = str(c_of("riscv-pt-upstream"))
    _one_line_exit_2(["prove", "--name", "x"], capsys, "--name needs --c-source")
    _one_line_exit_2(["prove", "--c-source", up, "--base", "riscv-pt-v7"], capsys, "--base riscv-pt-v7")
    _one_line_exit_2(["prove", "--c-source", up, "--name", "riscv-pt-v9"], capsys, "already the name")
    _one_line_exit_2(["prove", "--c-source", up, "--name", "a b"], capsys, "--name")
    _one_line_exit_2(["prove", "--c-source", up, "--system", "p2m"], capsys, "--system")


# -- deciding it (slow) -------------------------------------------------------------------------

def _prove(argv, tmp_path) -> tuple[int, dict]:
    report = tmp_path / "report.json"
    status = main(["prove", *argv, "--jobs", "2", "--json", str(report)])
    return status, json.loads(report.read_text())


@slow
def test_a_patched_pt_c_that_replaces_valid_entries_breaks_no_overwrite(tmp_path, capsys):
    """The issue's done-when: a one-line patch, no model written, no-overwrite violated with a
    trace of API calls from the initial state, replayed on the patched C compiled; its vector
    is written and shown."""
    c_compiler()
    c = patched(tmp_path, *INSERT_CHECK)
    vectors = tmp_path / "vectors"
    status, report = _prove(["--c-source", str(c), "--name", "riscv-pt-patched", "--invariant", "no-overwrite",
                             "--vectors", str(vectors), "--update"], tmp_path)
    assert status == 1
    out = capsys.readouterr().out
    assert "riscv-pt-patched" in out and "no-overwrite" in out
    broken = [r for r in report["results"] if r["invariant"] == "no-overwrite" and r["verdict"] == "violated"]
    assert broken and all(r["counterexample"]["compiled_c"]["replayed"] is True for r in broken)
    assert {r["bounds"]["c_file"] for r in report["results"]} == {str(c)}
    assert all(r["extra"]["assumptions"] for r in report["results"])
    for r in broken:  # API calls from the initial state; the breaking one is a map (an insert)
        calls = r["counterexample"]["calls"]
        assert {x["call"] for x in calls} <= {"map", "destroy", "populate", "modify"} and calls[-1]["call"] == "map"
    vector = vectors / "riscv-pt-patched" / "no-overwrite.json"
    shrunk = json.loads(vector.read_text())
    assert shrunk["bounds"]["c_sha256"] and len(shrunk["calls"]) == 2 and shrunk["calls"][-1]["call"] == "map"
    assert shrunk["violation"]["entries"][-1]["old"] != "0x0"  # the valid entry replaced
    assert main(["show", str(vector)]) == 0
    assert "breaks no-overwrite" in capsys.readouterr().out
    assert main(["replay", "--c-source", str(c), str(vector)]) == 0


@slow
@pytest.mark.parametrize("version", ["riscv-pt-upstream", "riscv-pt-v9", "riscv-pt-v5"])
def test_the_c_machine_gives_the_model_versions_verdicts(version, tmp_path, capsys):
    """The cross-check: on every obligation the lifted C of v5, v9 and upstream has the
    verdict its model version has (exit 0: each equals the expectation of the base)."""
    c_compiler()
    status, report = _prove(["--c-source", str(c_of(version)), "--base", version,
                             "--name", f"c-{version}"], tmp_path)
    assert status == 0, capsys.readouterr().out
    violated = [r for r in report["results"] if r["verdict"] == "violated" and r["invariant"] != "refines"]
    replays = [r["counterexample"]["compiled_c"] for r in violated]
    # each trace replays on the compiled C, or says why it was not run (a call that never returns)
    assert all(c["replayed"] or "never" in c["why"] or "does not return" in c["why"] for c in replays)
    assert any(c["replayed"] for c in replays)


def test_the_bases_committed_traces_establish_the_c_versions_violations(tmp_path, capsys):
    """No search: the base version's committed trace runs on the lifted C (concretely, from
    the initial state) and on the compiled C, and the result says whose trace it was."""
    c_compiler()
    status, report = _prove(["--c-source", str(c_of("riscv-pt-upstream")), "--invariant", "tables-kept"],
                            tmp_path)
    assert status == 0, capsys.readouterr().out
    broken = [r for r in report["results"] if r["verdict"] == "violated"]
    assert [r["operation"] for r in broken] == ["populate_pt_range"]
    extra = broken[0]["extra"]
    assert extra["established_by"] == "committed trace" and extra["trace_of"] == "riscv-pt-upstream"
    assert "counterexamples/riscv-pt-upstream/traces.json, replayed on this version" in broken[0]["detail"]
    assert broken[0]["counterexample"]["compiled_c"]["replayed"] is True
