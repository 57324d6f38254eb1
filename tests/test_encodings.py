"""Encoding obligations: v5's read-only-leaf bug is found and replayed,
upstream's predicates hold on every non-reserved encoding."""
import functools
import os

import pytest

from model.riscv.pt_upstream import RiscvPtUpstream
from model.riscv.pte import SV39, Extensions, classify, pte_word
from proofs.systems.riscv_pt.versions import VERSIONS as VARIANTS
from proofs.systems.encodings.theorem import (
    ARM_VARIANT, OBLIGATIONS, check_obligation, riscv_subject,
)
from proofs import systems
from proofs.engine import Settings
from proofs.errors import UsageError

IDS = [ob.id for ob in OBLIGATIONS]


ENCODINGS = systems.system("encodings")


@functools.lru_cache(maxsize=None)
def decided(variant):
    return tuple(ENCODINGS.run([variant], IDS, Settings(jobs=1)))


def results(variant, modes=("sv39",)):
    """The engine's results for one version, at the given modes (Arm: its one mode)."""
    return [r for r in decided(variant) if variant == ARM_VARIANT or r.bounds["mode"] in modes]


def by(rs, invariant):
    return [r for r in rs if r.invariant == invariant]


def test_obligation_ids_and_where():
    assert IDS == ["enc-table", "enc-mapping", "enc-exclusive", "enc-total"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for ob in OBLIGATIONS:
        path, line = ob.where.rsplit(":", 1)
        src = open(os.path.join(root, path)).read().splitlines()
        assert f'"{ob.id}"' in src[int(line) - 1]


def test_v5_enc_mapping_refuted_by_read_only_leaves_only():
    rs = by(results("riscv-pt-v5"), "enc-mapping")
    assert [r.bounds["level"] for r in rs] == [0, 1, 2]
    for r in rs:
        assert r.verdict == "violated" and r.vacuity is True
        ce = r.counterexample
        assert [c["class"] for c in ce["classes"]] == ["xwr=001 (r)"]
        # replay with the model, not the solver
        value = int(ce["pte"], 16)
        spec = classify(pte_word(value), r.bounds["level"], SV39, Extensions())
        assert spec.kind() == "leaf" and spec.perms() == "r" == ce["perms"]
        assert not bool(VARIANTS["riscv-pt-v5"]().pte_is_mapping(pte_word(value)))
        assert ce["decoded"].startswith("V R - - ")
    assert by(results("riscv-pt-v5"), "enc-total")[0].verdict == "violated"
    assert {r.verdict for r in by(results("riscv-pt-v5"), "enc-table")} == {"proved"}


@pytest.mark.parametrize("variant", ["riscv-pt-upstream", "riscv-pt-v9"])
def test_upstream_proved_with_vacuity_witness(variant):
    rs = results(variant, ("sv39", "sv39x4"))
    assert len(rs) == 2 * 3 * len(IDS)
    for r in rs:
        assert r.verdict == "proved", (r.invariant, r.bounds, r.counterexample)
        assert r.vacuity is True and r.extra["witness"]["pte"].startswith("0x")
        assert r.operation == "-" and r.solver == "z3" and r.where and r.statement
    mapping = by(rs, "enc-mapping")[0]
    assert "pte_assert holds on every domain entry" in mapping.detail
    # outside the domain: W-only is rejected only by the debug ASSERT
    assert "reserved-rwx (ASSERT catches)" in mapping.extra["accepts_faulting"]


def test_arm_lpae_proved_and_level0_block_accepted_outside_domain():
    rs = results(ARM_VARIANT)
    assert {r.verdict for r in rs} == {"proved"} and len(rs) == 4 * len(IDS)
    level0 = [r for r in by(rs, "enc-mapping") if r.bounds["level"] == 0][0]
    assert level0.extra["accepts_faulting"] == ["level0-block"]


class BrokenTable(RiscvPtUpstream):
    """Mutant: tests only V, so every leaf is also a 'table'."""

    name = "mutant-table-v-only"

    def pte_is_table(self, pte):
        return pte.bit(0)


def test_mutant_lists_every_misclassified_class():
    ob = next(o for o in OBLIGATIONS if o.id == "enc-table")
    verdict, counterexample, *_ = check_obligation(ob, riscv_subject(BrokenTable(), SV39, 1))
    assert verdict == "violated"
    got = [c["class"] for c in counterexample["classes"]]
    assert got == ["xwr=001 (r)", "xwr=011 (rw)", "xwr=100 (x)", "xwr=101 (rx)", "xwr=111 (rwx)"]
    # shrunk: nothing but V and the permission bits
    assert [c["pte"] for c in counterexample["classes"]][0] == "0x0000000000000003"
    ex = next(o for o in OBLIGATIONS if o.id == "enc-exclusive")
    assert check_obligation(ex, riscv_subject(BrokenTable(), SV39, 1))[0] == "violated"


def test_unknown_variant_is_a_usage_error():
    with pytest.raises(UsageError):
        ENCODINGS.run(["nope"], IDS, Settings(jobs=1))
