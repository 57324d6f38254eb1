"""`ptprove review PATCH`: a patch as posted in, a reviewer's reply out.

Fast: reading patches (format-patch, archive text), applying them, the one-line
errors (no diff, a hunk cut short, a hunk to pt.c that does not apply), a patch
touching only unmodelled files, the tree's own asm/page.h in the lifted C (issue
15's header item: a broken header changes what the lifted pt.c does), and a
one-line pt.c patch's behavioural change.  Slow: seed 000 reviewed whole (the v5
findings, traces replayed on the patched C) and the one-line patch's invariants.
"""
from __future__ import annotations

import difflib
import json
import shutil

import pytest

from needs import c_compiler, require, shared_dir, shared_file

from proofs import c_header
from proofs import patch as P
from proofs.cli import main
from proofs.errors import UsageError

slow = pytest.mark.slow
PT_C = "xen/arch/riscv/pt.c"
PAGE_H = "xen/arch/riscv/include/asm/page.h"
#: the insert path of pt_check_entry no longer refuses a valid entry
INSERT_CHECK = ("        if ( pte_is_valid(entry) )\n        {\n            if ( pte_is_mapping(entry) )",
                "        if ( 0 )\n        {\n            if ( pte_is_mapping(entry) )")
#: asm/page.h's pte_is_mapping misses read-only leaves again (as v5's did)
MAPPING_RO = ("    return (p.pte & PTE_VALID) && (p.pte & PTE_ACCESS_MASK);",
              "    return (p.pte & PTE_VALID) && (p.pte & (PTE_WRITABLE | PTE_EXECUTABLE));")


def upstream_tree():
    tree = shared_dir() / "xen" / "upstream"
    require((tree / PT_C).is_file(), f"{tree / PT_C} is not on this machine")
    return tree


def format_patch(subject: str, path: str, old: str, new: str) -> str:
    """`git format-patch` text of one file's change (old, new: the whole file's text)."""
    diff = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                f"a/{path}", f"b/{path}", n=3)
    return ("From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n"
            "From: A Tester <tester@example.org>\nDate: Tue, 1 Dec 2026 10:00:00 +0000\n"
            f"Subject: {subject}\n\n---\n\ndiff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n"
            + "".join(diff) + "-- \n2.43.0\n")


def one_line(tree, path: str, change: tuple[str, str], subject: str = "[PATCH] one line") -> str:
    text = (tree / path).read_text()
    assert text.count(change[0]) == 1, change[0]
    return format_patch(subject, path, text, text.replace(change[0], change[1]))


def run(capsys, *argv) -> tuple[int, str, str]:
    status = main(["review", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


# -- reading and applying ------------------------------------------------------------------

def test_format_patch_read_and_applied(tmp_path):
    base = tmp_path / "base"
    (base / "d").mkdir(parents=True)
    (base / "d" / "f.c").write_text("one\ntwo\nthree\nfour\nfive\n")
    text = format_patch("[PATCH v2 1/1] d: two is 2", "d/f.c", "one\ntwo\nthree\nfour\nfive\n",
                        "one\n2\nthree\nfour\nfive\n")
    p = P.read(text)
    assert p.subject == "[PATCH v2 1/1] d: two is 2"
    assert [(f.old_path, f.new_path, len(f.hunks)) for f in p.files] == [("d/f.c", "d/f.c", 1)]
    done = P.apply(p, base, tmp_path / "out")
    assert done.rejected == [] and done.written == {"d/f.c": "patched"}
    assert (tmp_path / "out" / "d" / "f.c").read_text() == "one\n2\nthree\nfour\nfive\n"
    assert (base / "d" / "f.c").read_text().startswith("one\ntwo")  # the base is never written


def test_archive_page_text_blank_context_and_offset(tmp_path):
    """An archive page drops a blank context line's space; a hunk applies where its old lines are."""
    base = tmp_path / "base"
    base.mkdir()
    (base / "f.h").write_text("x\ny\n\na\nb\n\nc\n")
    page = ("diff mbox series\n\n[v3,2/4] f: add z\n\nsome thread text\n\nPatch\n\n"
            "diff --git a/f.h b/f.h\n--- a/f.h\n+++ b/f.h\n@@ -1,4 +1,5 @@ \n a\n b\n\n+z\n c\n")
    p = P.read(page)
    assert p.subject == "[v3,2/4] f: add z"
    done = P.apply(p, base, tmp_path / "out")
    assert done.rejected == []
    assert (tmp_path / "out" / "f.h").read_text() == "x\ny\n\na\nb\n\nz\nc\n"


def test_new_file_taken_from_the_patch(tmp_path):
    page = "--- /dev/null\n+++ b/n.c\n@@ -0,0 +1,2 @@\n+int a;\n+int b;\n"
    done = P.apply(P.read(page), None, tmp_path / "out")
    assert done.written == {"n.c": "new file"}
    assert (tmp_path / "out" / "n.c").read_text() == "int a;\nint b;\n"


@pytest.mark.parametrize("text, says", [
    ("hello, no patch here\n", "no unified diff found"),
    ("--- a/f.c\n+++ b/f.c\n@@ -1,3 +1,3 @@\n a\n-b\n", "is cut short"),
    ("--- a/f.c\n+++ b/f.c\n@@ -1,3 +1,3 @@\n a\n-b\nnot a diff line\n", "is not a diff line"),
])
def test_malformed_patch_is_one_line_exit_2(capsys, tmp_path, text, says):
    f = tmp_path / "bad.patch"
    f.write_text(text)
    with pytest.raises(UsageError, match=says):
        P.read(text)
    status, out, err = run(capsys, f)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and says in err and str(f) in err


def test_unappliable_hunk_to_pt_c_is_one_line_exit_2(capsys, tmp_path):
    tree = upstream_tree()
    text = (tree / PT_C).read_text()
    wrong = text.replace("static", "STATIC")  # its old lines are in no tree
    patch = tmp_path / "p.mbox"
    patch.write_text(format_patch("[PATCH] wrong base", PT_C, wrong, wrong.replace("STATIC int", "STATIC long", 1)))
    status, out, err = run(capsys, patch, "--xen-src", tree)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert f"{PT_C}: hunk 1 (@@ -" in err and "does not apply" in err


def test_only_unmodelled_files_says_so_and_exits_0(capsys, tmp_path):
    tree = upstream_tree()
    patch = tmp_path / "p.mbox"
    rel = "xen/arch/riscv/include/asm/flushtlb.h"
    patch.write_text(one_line(tree, rel, ("#include <xen/bug.h>", "#include <xen/bug.h> /* x */")
                              if "#include <xen/bug.h>" in (tree / rel).read_text() else ("\n", "\n\n"),
                              "[PATCH] xen/riscv: a comment"))
    status, out, err = run(capsys, patch, "--xen-src", tree, "--json", tmp_path / "r.json")
    assert status == 0, err
    assert f"{rel}  patched; not modelled: ptprove does not model this file" in out
    assert "nothing checked (exit 0)" in out
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["checked"] == [] and data["exit_status"] == 0
    assert [(f["path"], f["kind"]) for f in data["files"]] == [(rel, "not modelled")]


def test_modelled_but_not_c_is_listed(capsys, tmp_path):
    tree = upstream_tree()
    rel = "xen/arch/riscv/p2m.c"
    require((tree / rel).is_file(), f"{tree / rel} is not on this machine")
    patch = tmp_path / "p.mbox"
    text = (tree / rel).read_text()
    first = text.splitlines()[0]
    patch.write_text(format_patch("[PATCH] p2m", rel, text, text.replace(first, first + " ", 1)))
    status, out, _ = run(capsys, patch, "--xen-src", tree, "--format", "mail")
    assert status == 0
    assert "modelled, not as C: riscv-p2m (p2m) models it by hand" in " ".join(out.split())
    assert all(len(line) <= 72 for line in out.splitlines())
    assert out.startswith("Subject: Re: [PATCH] p2m\n")


# -- the tree's own asm/page.h (issue 15, header changes) -----------------------------------

def test_tree_header_extracted():
    tree = upstream_tree()
    found = c_header.tree_header(tree / PT_C)
    assert found is not None
    assert {"PTE_VALID", "PTE_ACCESS_MASK", "PAGE_HYPERVISOR_RW", "PTE_PPN_SHIFT", "mfn_from_pte"} <= set(found.macros)
    assert found.functions == ["pte_is_valid", "pte_is_table", "pte_is_mapping", "pte_from_mfn", "pte_to_paddr"]
    # what upstream's headers lack the shim restates, and its header comment says what it always restates
    assert found.restated() == ["PTE_R_MASK", "PTE_W_MASK", "PTE_X_MASK", "PTE_RWX_MASK"]
    shim = (c_header.Path(__file__).parents[1] / "proofs" / "c" / "ptprove_shim.h").read_text()
    assert "What this file always restates" in shim and "write_pte" in shim.split("*/")[0]


def test_no_tree_no_header(tmp_path):
    (tmp_path / "pt.c").write_text("int x;\n")
    assert c_header.tree_header(tmp_path / "pt.c") is None


def test_patched_header_changes_the_lifted_c(tmp_path):
    """pte_is_mapping of the tree's asm/page.h, not the shim's copy, is what the lifted pt.c calls:
    break it in the tree and the unit differs from upstream's model (entry 0x3, a read-only leaf)."""
    c_compiler()
    tree = tmp_path / "tree"
    shutil.copytree(upstream_tree(), tree)
    h = tree / PAGE_H
    h.write_text(h.read_text().replace(*MAPPING_RO))
    from proofs.refine.run import refine

    broken, = refine("riscv-pt-upstream", tree / PT_C, only=["pte_is_mapping"])
    assert broken.verdict == "violated"
    assert broken.counterexample["inputs"]["pte"] in ("3", "0x3")
    same, = refine("riscv-pt-upstream", upstream_tree() / PT_C, only=["pte_is_mapping"])
    assert same.verdict == "proved"


# -- a one-line patch to upstream's pt.c ----------------------------------------------------

def test_one_line_patch_behaviour(tmp_path):
    """The patch applied, the diff half of the review on its cheap units: pt_check_entry differs
    (with its shortest input), the functions it does not touch do not (the whole set of units
    that differ is checked under -m slow)."""
    c_compiler()
    tree = upstream_tree()
    p = P.read(one_line(tree, PT_C, INSERT_CHECK))
    done = P.apply(p, tree, tmp_path / "tree")
    assert done.rejected == [] and done.written == {PT_C: "patched"}
    from proofs.refine.run import refine

    results = refine("riscv-pt-upstream", done.root / PT_C,
                     only=["pt_check_entry", "pt_mapping_level", "pt_next_level", "create_table"], minimize=True)
    assert {r.operation: r.verdict for r in results} == {
        "pt_check_entry": "violated", "pt_mapping_level": "proved", "pt_next_level": "proved",
        "create_table": "proved"}
    check = results[0]
    assert check.counterexample["inputs"]  # the shortest input that shows it


@slow
def test_one_line_patch_review(capsys, tmp_path):
    """The whole review: exactly no-overwrite broken, by a trace replayed on the patched C."""
    c_compiler()
    tree = upstream_tree()
    patch = tmp_path / "p.mbox"
    patch.write_text(one_line(tree, PT_C, INSERT_CHECK, "[PATCH] xen/riscv: pt_check_entry"))
    status, out, err = run(capsys, patch, "--xen-src", tree, "--json", tmp_path / "r.json", "--jobs", "2")
    assert status == 1, err
    data = json.loads((tmp_path / "r.json").read_text())
    c, = data["checked"]
    assert c["base"] == "riscv-pt-upstream" and c["header_and_contract_of"] == "riscv-pt-upstream"
    differ = {r["operation"] for r in c["behaviour"] if r["verdict"] != "proved"}
    assert differ == {"pt_check_entry", "pt_update_entry", "pt_update loop iteration"}, differ
    changes = {i["id"]: i["change"] for i in c["invariants"]}
    assert [k for k, v in changes.items() if v != "same"] == ["no-overwrite"], changes
    inv = next(i for i in c["invariants"] if i["id"] == "no-overwrite")
    assert inv["trace"]["compiled_c"]["replayed"] is True
    assert "no-overwrite BROKEN" in out


# -- seed 000, the v5 patch, reviewed against upstream's tree -------------------------------

@slow
def test_seed_000_review(capsys, tmp_path):
    c_compiler()
    seed = shared_file("seeds/000_8afac2f4e5276757.txt")
    tree = upstream_tree()
    status, out, err = run(capsys, seed, "--xen-src", tree, "--json", tmp_path / "r.json", "--jobs", "2")
    assert status == 1, err
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["subject"] == "[v5,6/7] xen/riscv: page table handling"
    files = {f["path"]: f for f in data["files"]}
    assert files[PT_C]["status"] == "new file (replaces the base tree's)"
    assert files[PAGE_H]["status"] == "does not apply" and len(files[PAGE_H]["rejected_hunks"]) == 3
    assert "riscv-pt-v5's" in files[PAGE_H]["note"]
    assert files["xen/arch/riscv/Makefile"]["kind"] == "not modelled"
    assert files["xen/arch/riscv/mm.c"]["kind"] == "modelled, not as C"
    c, = data["checked"]
    assert c["base"] == "riscv-pt-upstream" and c["header_and_contract_of"] == "riscv-pt-v5"
    assert "riscv-pt-v5, restated by the shim" in c["header"]
    inv = {i["id"]: i for i in c["invariants"]}
    for oid in ("wx", "well-formed"):  # W^X through the modify path; the read-only leaf descended into
        assert inv[oid]["change"] == "broken", inv[oid]
        assert inv[oid]["trace"]["compiled_c"]["replayed"] is True
    wx = inv["wx"]["trace"]["vector"]
    assert wx["calls"][-1]["args"]["mfn"] == "0xffffffffffffffff"  # INVALID_MFN: the modify path, via map
    # the read-only leaf descended into: a read-only superpage mapped, then a later call's walk
    # breaks the tree inside it (it reads that page as a table)
    wf = inv["well-formed"]["trace"]["vector"]
    assert wf["calls"][0]["args"]["flags"] == "0x3", wf["calls"]  # PAGE_HYPERVISOR_RO
    assert wf["calls"][0]["args"]["nr"] in ("0x200", "0x40000")  # 2M or 1G: a superpage
    assert wf["violation"]["call"] >= 1
    before = wf["violation"]["translation_before"]
    assert before["leaf"].startswith("V R - -") and before["level"] >= 1, before
    from proofs.cmd_review import render_mail

    mail = render_mail(data)  # what --format mail prints for the same review
    assert mail.startswith("Subject: Re: [v5,6/7] xen/riscv: page table handling\n")
    assert all(len(line) <= 72 for line in mail.splitlines())
    assert "Invariant: wx:" in mail and "Invariant: well-formed:" in mail


def test_patch_from_stdin(capsys, monkeypatch, tmp_path):
    import io

    tree = upstream_tree()
    rel = "xen/arch/riscv/include/asm/flushtlb.h"
    text = (tree / rel).read_text()
    first = text.splitlines()[0]
    monkeypatch.setattr("sys.stdin", io.StringIO(format_patch("[PATCH] stdin", rel, text,
                                                              text.replace(first, first + " ", 1))))
    status, out, _ = run(capsys, "-", "--xen-src", tree)
    assert status == 0 and out.startswith("ptprove review: [PATCH] stdin\n")
