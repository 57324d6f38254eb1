"""The test-suite mutation run's own machinery: an edit applies exactly once or says why not,
follows its text when a module moves, and every catalogued target is in the code today."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutants.catalogue import EDITS
from tests.mutants.edit import Edit, TargetNotFound
from tests.mutants.run import ROOT, score, table

EDIT = Edit("e", "proofs/x.py", "return a >= b", "return a > b", ("tests/test_x.py",), "ge is gt")


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_an_edit_applies_once_and_restores(tmp_path):
    root = tree(tmp_path, {"proofs/x.py": "def f(a, b):\n    return a >= b\n"})
    applied = EDIT.apply(root)
    assert (root / "proofs/x.py").read_text() == "def f(a, b):\n    return a > b\n"
    Edit.restore(applied)
    assert (root / "proofs/x.py").read_text() == "def f(a, b):\n    return a >= b\n"


def test_an_edit_follows_its_text_into_a_moved_module(tmp_path):
    root = tree(tmp_path, {"proofs/engine/x.py": "return a >= b\n", "proofs/y.py": "pass\n"})
    assert EDIT.locate(root) == root / "proofs/engine/x.py"


@pytest.mark.parametrize("files, words", [
    ({"proofs/x.py": "return a > b\n"}, "target text not found"),
    ({"proofs/x.py": "return a >= b\nreturn a >= b\n"}, "found 2 times in proofs/x.py"),
    ({"proofs/x.py": "pass\n", "model/a.py": "return a >= b\n", "model/b.py": "return a >= b\n"},
     "found in 2 files"),
])
def test_a_missing_or_ambiguous_target_is_an_error_not_a_pass(tmp_path, files, words):
    with pytest.raises(TargetNotFound, match=words):
        EDIT.locate(tree(tmp_path, files))


def test_every_catalogued_target_is_in_the_code_and_the_catalogue_is_big_enough():
    assert len(EDITS) >= 30 and len({e.id for e in EDITS}) == len(EDITS)
    for e in EDITS:
        e.locate(ROOT)
        assert e.tests and all((ROOT / t.partition("::")[0]).is_file() for t in e.tests), e.id


def test_the_table_and_score_count_equivalents_apart():
    from tests.mutants.run import Outcome

    out = [Outcome(EDIT, "caught", "tests/test_x.py::t", 1.0), Outcome(EDIT, "equivalent", "-", 1.0),
           Outcome(EDIT, "SURVIVED", "-", 1.0)]
    assert score(out) == "score: 1 of 2 non-equivalent edits caught (1 equivalent, 3 in all)"
    assert table(out).splitlines()[2] == "| e | proofs/x.py | ge is gt | caught | tests/test_x.py::t |"
