"""Caller contracts (`--callers presets,any`): names, the riscv-pt contract under any,
the engine's sharing of proofs and traces between the two, and the report's section."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from model.riscv.machine import INVALID_MFN, OP_DESTROY, OP_MAP, OP_MODIFY, Call
from model.riscv.pte import PAGE_HYPERVISOR_RW, PTE_VALID
from model.term import bv
from proofs.engine import callers
from proofs.engine.result import Result
from proofs.engine.settings import Settings
from proofs.systems.riscv_pt.contract import call_ok
from proofs.systems.riscv_pt.versions import model_class

UP = "riscv-pt-upstream"


def _call(op: int, *args: int) -> Call:
    return Call(bv(op, 3), tuple(bv(a, 64) for a in (*args, 0, 0, 0, 0)[:4]))


def test_names_round_trip():
    assert callers.name(UP, callers.PRESETS) == UP
    assert callers.name(UP, callers.ANY) == f"{UP}@any"
    assert callers.split(f"{UP}@any") == (UP, callers.ANY)
    assert callers.split(UP) == (UP, callers.PRESETS)
    assert callers.split("x@nonsense") == ("x@nonsense", callers.PRESETS)


def test_parse_orders_and_rejects():
    assert callers.parse("any,presets") == (callers.PRESETS, callers.ANY)
    with pytest.raises(ValueError, match="unknown caller contract bogus"):
        callers.parse("presets,bogus")


def test_any_version_is_the_model_under_another_contract():
    cls = model_class(f"{UP}@any")
    assert cls.name == f"{UP}@any" and cls.callers == callers.ANY and cls.under_callers_of == UP
    assert issubclass(cls, model_class(UP)) and model_class(UP).name == UP
    assert model_class("riscv-pt-nonesuch@any") is None


def test_any_contract_admits_what_presets_refuses():
    up, up_any = model_class(UP)(), model_class(f"{UP}@any")()
    odd = [_call(OP_MAP, 0xfffffffffffff000, 1 << 50, 16, PTE_VALID | (1 << 40)),  # odd flags, mfn, virt
           _call(OP_MAP, 0, INVALID_MFN - 1, 1 << 60, PAGE_HYPERVISOR_RW),  # mfn + nr wraps
           _call(OP_DESTROY, 0x8000000000000000, 0xfffffffffffff000)]
    for c in odd:
        assert not bool(call_ok(c, up)) and bool(call_ok(c, up_any))
    ok = _call(OP_MAP, 0x200000, 0x80000, 1, PAGE_HYPERVISOR_RW)
    assert bool(call_ok(ok, up)) and bool(call_ok(ok, up_any))
    # arguments an entry point does not have stay 0 under any too
    assert not bool(call_ok(_call(OP_DESTROY, 0, 0x1000, 1), up_any))


def test_any_flags_are_the_c_parameter_width():
    """v9's `unsigned int flags`: a flags word above 32 bits is outside any; upstream's
    pte_attr_t (unsigned long) admits it."""
    wide = PAGE_HYPERVISOR_RW | (1 << 40)
    v9_any, up_any = model_class("riscv-pt-v9@any")(), model_class(f"{UP}@any")()
    assert not bool(call_ok(_call(OP_MAP, 0, 1, 1, wide), v9_any))
    assert not bool(call_ok(_call(OP_MODIFY, 0, 1, wide), v9_any))
    assert bool(call_ok(_call(OP_MAP, 0, 1, 1, wide), up_any))


def test_expand_says_which_versions_lack_a_contract():
    import proofs.systems.riscv_pt as rp
    import proofs.systems.p2m as p2m
    import proofs.systems.riscv_fixmap as fx

    names, lacking = callers.expand(rp, [UP], (callers.PRESETS, callers.ANY))
    assert names == [f"{UP}@any", UP] and lacking == {}
    names, lacking = callers.expand(p2m, ["riscv-p2m-upstream"], (callers.PRESETS, callers.ANY))
    assert names == ["riscv-p2m-upstream@any", "riscv-p2m-upstream"] and lacking == {}
    names, lacking = callers.expand(fx, ["riscv-fixmap-upstream"], (callers.PRESETS, callers.ANY))
    assert names == ["riscv-fixmap-upstream@any", "riscv-fixmap-upstream"] and lacking == {}
    no_any = SimpleNamespace(ID="toy")  # a system package without `callers`: presets only
    names, lacking = callers.expand(no_any, ["toy-v1"], (callers.PRESETS, callers.ANY))
    assert names == ["toy-v1"] and lacking == {callers.ANY: ["toy-v1"]}
    line = callers.note("toy", callers.ANY, lacking[callers.ANY], (callers.PRESETS, callers.ANY))
    assert line == "toy: no `any` caller contract yet (toy-v1); decided under presets only"


def _r(variant: str, inv: str, op: str, verdict: str, **extra) -> Result:
    cx = {"calls": [{"function": "map_pages_to_xen", "args": {"virt": "0x0"}, "rc": "0"}]}
    return Result(variant, inv, op, verdict, {}, "z3", 0.0, extra=extra,
                  counterexample=cx if verdict == "violated" else None)


def test_standing_tells_code_from_callers():
    rows = callers.standing([
        _r(UP, "wx", "map", "proved", proved_under=f"{UP}@any"), _r(f"{UP}@any", "wx", "map", "proved"),
        _r(UP, "reserved", "map", "proved"), _r(f"{UP}@any", "reserved", "map", "violated", trace_steps=2),
        _r(UP, "functional", "map", "violated"), _r(f"{UP}@any", "functional", "map", "violated"),
        _r(UP, "small", "map", "proved"), _r(f"{UP}@any", "small", "map", "not-inductive"),
        _r("riscv-p2m-upstream", "wx", "map", "proved"),  # no any partner: no row
    ])
    by = {r["invariant"]: r for r in rows}
    assert set(by) == {"wx", "reserved", "functional", "small"}
    assert by["wx"]["guaranteed_by"] == callers.CODE and by["wx"]["proofs_shared"] == 1
    assert by["reserved"]["guaranteed_by"] == callers.CALLERS
    assert by["reserved"]["trace"] == "map_pages_to_xen(virt=0x0) = 0"
    assert by["functional"]["guaranteed_by"] == callers.NEITHER
    assert by["small"]["guaranteed_by"] == callers.OPEN
    text = "\n".join(callers.lines(rows))
    assert f"{UP} reserved: its callers (proved under presets, violated under any in 1: map: " in text


def test_bad_callers_is_one_line_exit_2(capsys):
    from proofs.cli import main

    assert main(["prove", "--callers", "presets,everyone"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) <= 2 and "unknown caller contract everyone" in err[-1]


def test_expectations_know_versions_under_any():
    from proofs.errors import UsageError
    from proofs.expectations import parse_expectations

    entry = {"verdict": "proved", "reason": "r"}
    got = parse_expectations({"version": 1, "variants": {f"{UP}@any": {"wx": entry}}})
    assert got.get(f"{UP}@any", "wx").verdict == "proved"
    with pytest.raises(UsageError, match="unknown variant"):
        parse_expectations({"version": 1, "variants": {"nonesuch@any": {"wx": entry}}})


@pytest.mark.slow
def test_any_first_proofs_serve_presets_and_traces_replay():
    """Decided under both: refusal proved under any serves presets (no presets query);
    lemma-frame's statement depends on the contract, so presets proves its own; reserved
    is proved under presets and broken under any by the committed trace (a frame above
    44 bits spills into the PTE's reserved bits), replayed on the model."""
    from pathlib import Path

    from proofs.systems import system

    vectors = str(Path(__file__).resolve().parents[1] / "counterexamples")
    s = Settings(jobs=1, certificates=vectors, callers=(callers.PRESETS, callers.ANY))
    rs = system("riscv-pt").run([UP], ["refusal", "lemma-frame", "reserved"], s)
    by = {(r.variant, r.invariant, r.operation): r for r in rs}
    for r in rs:
        if r.variant == UP and r.invariant == "refusal":
            assert r.verdict == "proved" and r.extra[callers.PROVED_UNDER] == f"{UP}@any"
        if r.variant == UP and r.invariant == "lemma-frame":
            assert r.verdict == "proved" and callers.PROVED_UNDER not in r.extra
    r = by[(f"{UP}@any", "reserved", "map_pages_to_xen")]
    assert r.verdict == "violated" and r.extra["established_by"] == "committed trace"
    assert by[(UP, "reserved", "map_pages_to_xen")].verdict == "proved"


def test_a_vector_under_any_runs_on_its_versions_c():
    """`replay --xen-src`: the C of `<version>@any` is the version's own pt.c."""
    from pathlib import Path

    from proofs.c_sources import CSources

    tree = Path(__file__).resolve().parents[2] / "shared" / "xen"
    if not (tree / "upstream").is_dir():
        pytest.skip("../shared/xen not at hand")
    src = CSources(xen_src=str(tree))
    both = [src.file_for({"system": "riscv-pt", "version": v}) for v in (UP, f"{UP}@any")]
    assert both[0] == both[1] and both[0][0] is not None and both[0][0].name == "pt.c"


@pytest.mark.slow
def test_a_step_that_lost_a_lemma_under_any_is_asked_again_without_it():
    """v9 breaks well-formed (the `tree` lemma) under any callers; reserved assumes it, but a
    destroy step writes only 0: asked again without `tree`, it is proved, with no search.
    The same step under presets keeps its lemma (nothing lost there)."""
    from pathlib import Path

    from proofs.systems import system

    vectors = str(Path(__file__).resolve().parents[1] / "counterexamples")
    s = Settings(jobs=1, certificates=vectors, callers=(callers.PRESETS, callers.ANY))
    rs = system("riscv-pt").run(["riscv-pt-v9"], ["reserved"], s)
    by = {(r.variant, r.operation): r for r in rs}
    r = by[("riscv-pt-v9@any", "destroy_xen_mappings")]
    assert r.verdict == "proved" and "asked again without lemma tree" in r.detail
    assert "assumes lemmas frame, pool" in r.detail
    assert by[("riscv-pt-v9@any", "map_pages_to_xen")].verdict == "violated"
    assert "asked again" not in by[("riscv-pt-v9", "destroy_xen_mappings")].detail
