"""`ptprove diff`: a patched pt.c, or a model version, against a model version."""
from __future__ import annotations

import json

import pytest

from needs import require

from proofs.cli import main
from proofs.refine.sources import versions_at_hand

AT_HAND = versions_at_hand()
FAST_UNITS = "pte_is_valid,pte_is_table,pte_is_mapping,pt_check_entry,pt_mapping_level,pt_next_level," \
             "create_table,map prologue,destroy prologue,populate prologue,modify prologue"
slow = pytest.mark.slow  # `pytest -m slow` runs it; make test does not


@pytest.fixture
def upstream_c():
    if "riscv-pt-upstream" not in AT_HAND:
        require(False, "../shared/xen (the C the models follow) is not here")
    return AT_HAND["riscv-pt-upstream"]


def patched(src, tmp_path, old: str, new: str):
    text = src.read_text()
    assert text.count(old) >= 1, old
    out = tmp_path / "pt.c"
    out.write_text(text.replace(old, new, 1))
    return out


def test_a_one_line_patch_of_upstream_pt_c_is_reported_with_a_replayed_input(upstream_c, tmp_path, capsys):
    c = patched(upstream_c, tmp_path, "else if ( !(flags & PTE_POPULATE) )", "else if ( 1 )")
    js = tmp_path / "out.json"
    assert main(["diff", "--c-source", str(c), "--against", "riscv-pt-upstream",
                 "--only", "pt_check_entry,pt_mapping_level", "--json", str(js)]) == 1
    out = capsys.readouterr().out
    assert "same     pt_mapping_level" in out
    assert "DIFFERS  pt_check_entry" in out and "input: " in out and "<-" in out
    (changed, same) = json.loads(js.read_text())
    assert changed["verdict"] == "violated" and same["verdict"] == "proved"
    assert changed["bounds"]["c_sha256"] and changed["bounds"]["target"] == "riscv64-linux-musl"


def test_the_unchanged_upstream_pt_c_is_the_same_in_every_fast_unit(upstream_c, capsys):
    assert main(["diff", "--c-source", str(upstream_c), "--against", "riscv-pt-upstream",
                 "--only", FAST_UNITS]) == 0
    out = capsys.readouterr().out
    assert out.count("  same ") == len(FAST_UNITS.split(",")) and "DIFFERS" not in out


@slow
def test_the_unchanged_upstream_pt_c_is_the_same_everywhere(upstream_c, capsys):
    assert main(["diff", "--c-source", str(upstream_c), "--against", "riscv-pt-upstream"]) == 0


def test_two_model_versions_differ_where_the_later_commits_changed_them(capsys):
    assert main(["diff", "--variant", "riscv-pt-upstream", "--against", "riscv-pt-v9",
                 "--only", "pt_update_entry,pt_check_entry,map prologue"]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS  pt_update_entry" in out  # b3d5fad63a: PBMT taken from the flags
    assert "same     pt_check_entry" in out and "same     map prologue" in out
    assert main(["diff", "--variant", "riscv-pt-v9", "--against", "riscv-pt-v9",
                 "--only", "pt_update_entry,pt_check_entry"]) == 0


@pytest.mark.parametrize("argv, why", [
    (["--c-source", "/nonexistent/pt.c", "--against", "riscv-pt-upstream"], "no such C file"),
    (["--variant", "riscv-pt-upstream", "--against", "riscv-pt-v7"], "unknown variant 'riscv-pt-v7'"),
    (["--variant", "riscv-pt-upstream", "--against", "riscv-pt-v9", "--only", "nope"], "unknown unit 'nope'"),
])
def test_bad_input_is_one_line_exit_2(argv, why, capsys):
    assert main(["diff", *argv]) == 2
    err = capsys.readouterr().err
    assert why in err and len(err.strip().splitlines()) == 1


def test_a_c_file_that_does_not_compile_or_a_missing_compiler_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "pt.c"
    bad.write_text("int map_pages_to_xen(void) { return }\n")
    assert main(["diff", "--c-source", str(bad), "--against", "riscv-pt-upstream"]) == 2
    err = capsys.readouterr().err
    assert "does not compile to LLVM IR" in err and len(err.strip().splitlines()) == 1
    assert main(["diff", "--c-source", str(bad), "--against", "riscv-pt-upstream", "--cc", "no-such-cc"]) == 2
    assert "C compiler 'no-such-cc' not found" in capsys.readouterr().err


def test_the_versions_own_page_h_predicates_are_lifted_and_a_patched_header_is_reported(upstream_c, tmp_path,
                                                                                        capsys):
    header = upstream_c.parent / "include" / "asm" / "page.h"
    (tmp_path / "include" / "asm").mkdir(parents=True)
    (tmp_path / "pt.c").write_text(upstream_c.read_text())
    old = "return (p.pte & PTE_VALID) && (p.pte & PTE_ACCESS_MASK);"
    assert old in header.read_text()
    (tmp_path / "include" / "asm" / "page.h").write_text(header.read_text().replace(
        old, "return (p.pte & PTE_VALID) && (p.pte & (PTE_WRITABLE | PTE_EXECUTABLE));"))
    units = "pte_is_mapping,pte_is_mapping (asm/page.h),pte_is_table (asm/page.h)"
    assert main(["diff", "--c-source", str(tmp_path / "pt.c"), "--against", "riscv-pt-upstream",
                 "--only", units]) == 1
    out = capsys.readouterr().out
    # the pt.c is built with the header beside it (proofs/c_header.py), so the predicate as built
    # into pt.c differs too, not only the header's own copy; the untouched predicate is the same
    assert "same     pte_is_table (asm/page.h)" in out
    assert "DIFFERS  pte_is_mapping (asm/page.h)" in out and "pte=3" in out  # R only: v5's old test
    assert "DIFFERS  pte_is_mapping  " in out
