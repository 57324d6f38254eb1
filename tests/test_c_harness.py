"""The C harness: every v5 vector replays on seed 000's pt.c with the model's
return codes and tables; a changed pt.c is caught; bad C input is one line."""
from __future__ import annotations

from pathlib import Path

import pytest

from needs import c_compiler, shared_file, xen_file
from proofs import vector as vec
from proofs.cli import main
from seed_c import SEED_000, extract_v5_pt_c

ROOT = Path(__file__).resolve().parent.parent
V5_DIR = ROOT / "counterexamples" / "riscv-pt-v5"
V5_VECTORS = vec.vector_files([V5_DIR])
MAP_4K = V5_DIR / "regression" / "map-4k-ok.json"


@pytest.fixture
def cc() -> str:
    """The C compiler (skips, or fails under the CI switch, when there is none)."""
    return c_compiler()


@pytest.fixture(scope="module")
def v5_pt_c(tmp_path_factory) -> Path:
    return extract_v5_pt_c(tmp_path_factory.mktemp("v5"), shared_file(SEED_000))


def test_every_v5_vector_replays_identically_on_the_seed_c_code(cc, v5_pt_c, capsys):
    assert len(V5_VECTORS) >= 20
    assert main(["replay", "--c-source", str(v5_pt_c), str(V5_DIR)]) == 0
    out = capsys.readouterr().out
    assert f"{len(V5_VECTORS)} of {len(V5_VECTORS)} vectors reproduce" in out
    traces = [f for f in V5_VECTORS if '"kind": "trace"' in f.read_text()]
    assert out.count("reproduces on the model and C (same return codes and tables)") == len(traces) >= 25


def test_a_changed_pt_c_is_a_fidelity_failure_with_both_sides(cc, v5_pt_c, tmp_path, capsys):
    text = v5_pt_c.read_text()
    needle = "PTE_RWX_MASK(flags) | PTE_ACCESSED | PTE_DIRTY"
    assert needle in text
    (tmp_path / "pt.c").write_text(text.replace(needle, "PTE_RWX_MASK(flags) | PTE_ACCESSED"))
    assert main(["replay", "--c-source", str(tmp_path / "pt.c"),
                 str(V5_DIR / "regression" / "map-4k-ok.json")]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "model 0x200800c7, C 0x20080047" in out


@pytest.fixture(scope="module")
def model_vs_c(v5_pt_c):
    """What the harness reports for map-4k-ok.json when the model's side is changed by
    `change` (the C is seed 000's pt.c, which agrees with the unchanged vector; compiled once)."""
    from proofs import c_harness, vector

    h = c_harness.Harness(str(v5_pt_c), c_compiler())

    def compare(change) -> list[str]:
        v = vector.load(MAP_4K)
        change(v)
        return h.compare(v)
    yield compare
    h.close()


def _rc(v: dict) -> None:
    v["calls"][0]["rc"], v["calls"][0]["rc_value"] = "-ENOMEM", -12


def _pool(v: dict) -> None:
    v["expected"]["pool_handed_out"] += 1


def _assert(v: dict) -> None:
    v["calls"][0]["rc"], v["calls"][0]["assert_failed"] = "ASSERT", "pt_check_entry: ASSERT(x)"


def _table(v: dict) -> None:
    entry = v["expected"]["tables"][-1]["entries"][0]
    entry["raw"] = hex(int(entry["raw"], 16) ^ 0x80)


def _stale(v: dict) -> None:
    v["expected"]["tlb_stale"] = not v["expected"]["tlb_stale"]


def _flush(v: dict) -> None:
    v["calls"][0]["flush"] = ["0x40200000", "0x1000"]  # a model that flushed one page


@pytest.mark.parametrize("change, words", [
    (_rc, "call 1 (map): model returns -ENOMEM, C returns 0"),
    (_pool, "table pages handed out: model"),
    (_assert, "call 1 (map): model ASSERT pt_check_entry: ASSERT(x), C 0"),
    (_table, ": model 0x"),
    (_stale, "TLB stale at the end: model"),
    (_flush, "call 1 (map): flush_tlb_range_va(0x40200000, 0x1000) in the model, (0x0, 0x0) in the C"),
])
def test_each_difference_between_model_and_c_is_reported(model_vs_c, change, words):
    """The harness compares every part of the C's answer: return codes, ASSERTs, tables,
    table pages used, the TLB at the end, the flush's arguments; the unchanged vector agrees."""
    assert model_vs_c(lambda v: None) == []
    problems = model_vs_c(change)
    assert len(problems) == 1 and words in problems[0], problems


def test_c_file_that_does_not_compile_is_one_line_exit_2(cc, tmp_path, capsys):
    bad = tmp_path / "pt.c"
    bad.write_text("int map_pages_to_xen(void) { return }\n")
    assert main(["replay", "--c-source", str(bad), str(MAP_4K)]) == 2
    err = capsys.readouterr().err
    assert "does not compile with the C harness" in err and len(err.strip().splitlines()) == 1


def test_missing_compiler_is_one_line_exit_2(v5_pt_c, capsys):
    assert main(["replay", "--cc", "no-such-cc-ptprove", "--c-source", str(v5_pt_c),
                 str(MAP_4K)]) == 2
    err = capsys.readouterr().err
    assert "C compiler 'no-such-cc-ptprove' not found" in err and len(err.strip().splitlines()) == 1


def test_missing_c_file_is_one_line_exit_2(capsys):
    assert main(["replay", "--c-source", "/nonexistent/pt.c", str(MAP_4K)]) == 2
    assert "no such C file" in capsys.readouterr().err


@pytest.mark.parametrize("version", ["riscv-pt-v9", "riscv-pt-upstream"])
def test_merged_versions_replay_on_xen_pt_c(version, cc, capsys):
    """The pt.c of the commit each version follows, from ../shared/xen/ (or $PTPROVE_SHARED)."""
    pt_c = xen_file(version, "xen/arch/riscv/pt.c")
    directory = ROOT / "counterexamples" / version
    files = vec.vector_files([directory])
    returning = [f for f in files if '"after": "limit"' not in f.read_text()]  # others never return
    assert main(["replay", "--c-source", str(pt_c), str(directory)]) == 0
    out = capsys.readouterr().out
    assert f"{len(files)} of {len(files)} vectors reproduce" in out
    assert out.count("reproduces on the model and C (same return codes and tables)") == len(returning) >= 19


def test_a_call_that_never_returns_runs_on_the_c_to_the_iteration_cap(cc, capsys):
    """Upstream's overrun (destroy inside a superpage: `left` wraps): the model's replay
    stops at its limit, the C runs to the iteration cap; both count as not returning,
    counted apart, never as a return code that matches."""
    from proofs import c_harness

    pt_c = xen_file("riscv-pt-upstream", "xen/arch/riscv/pt.c")
    upstream = ROOT / "counterexamples" / "riscv-pt-upstream"
    capped = [upstream / "footprint.json", upstream / "regression" / "destroy-inside-2m-no-return.json"]
    assert main(["replay", "--c-source", str(pt_c), *map(str, capped)]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 vectors reproduce: 2 on the model and C, 2 of them with a call that returns on " \
           "neither (the C ran to the iteration cap), 0 on the model only" in out
    h = c_harness.Harness(str(pt_c), cc)
    try:
        v = vec.load(capped[0])
        assert h.run(v)["calls"][-1]["failed"] == c_harness.CAP_MESSAGE
        v["expected"]["after"] = "returned"  # not a capped vector: the C's stop is a difference
        assert f"call 2 (destroy): model (did not return within the replay limit), C {c_harness.CAP_MESSAGE}" \
            in h.compare(v)
        v = vec.load(capped[0])  # the model does not return, but this C call does (an empty range)
        v["calls"][-1]["args"] = {"s": "0x2000", "e": "0x2000"}
        assert "call 2 (destroy): the model does not return, the C returns -22" in h.compare(v)
    finally:
        h.close()
