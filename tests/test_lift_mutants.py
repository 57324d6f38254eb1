"""One-line C mutants of upstream pt.c: the refinement refutes them with a concrete input."""
from __future__ import annotations

from dataclasses import replace

import pytest

from needs import require

from proofs.errors import UsageError
from proofs.refine.mutants import EQUIVALENT, MUTANTS, main, run_mutant, verdict
from proofs.refine.sources import versions_at_hand

BY_ID = {m.id: m for m in MUTANTS}
AT_HAND = versions_at_hand()


@pytest.fixture
def upstream_text():
    if "riscv-pt-upstream" not in AT_HAND:
        require(False, "../shared/xen (the C the models follow) is not here")
    return AT_HAND["riscv-pt-upstream"].read_text()


def test_the_catalogue_has_twenty_one_line_mutants_each_applying_to_upstream(upstream_text):
    assert len(MUTANTS) >= 20 and len(BY_ID) == len(MUTANTS)
    for m in MUTANTS:
        changed = m.apply(upstream_text)
        diff = [(a, b) for a, b in zip(upstream_text.splitlines(), changed.splitlines()) if a != b]
        assert len(diff) == 1, m.id
    assert set(EQUIVALENT) <= set(BY_ID)


@pytest.mark.parametrize("mid", ["check-remove-table", "create-table-no-clear", "map-assert-weak"])
def test_a_mutant_is_killed_by_its_unit_with_a_replayed_input(mid, upstream_text, tmp_path):
    m = replace(BY_ID[mid], units=BY_ID[mid].units[:1])  # its first (fastest) unit only
    out = run_mutant(m, upstream_text, tmp_path, 60_000, None)
    assert set(m.units) & set(out["killed_by"])
    line, fine = verdict(m, out)
    assert fine and line.startswith("killed") and "replayed concretely" in line


def test_a_fragment_no_longer_in_the_c_is_a_usage_error():
    with pytest.raises(UsageError, match="is not in this pt.c"):
        BY_ID["no-flush"].apply("int x;\n")


def test_the_command_rejects_an_unknown_mutant(capsys):
    if "riscv-pt-upstream" not in AT_HAND:
        require(False, "../shared/xen (the C the models follow) is not here")
    assert main(["--only", "no-such-mutant"]) == 2
    assert "unknown mutant 'no-such-mutant'" in capsys.readouterr().err
