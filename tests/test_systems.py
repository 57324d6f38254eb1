"""The registry of modelled systems: every system is complete, and prove/list/reports go through it."""
from __future__ import annotations

import json

import pytest

from proofs import systems
from proofs.cli import main
from proofs.report import render
from proofs.engine.result import Result


@pytest.mark.parametrize("s", systems.SYSTEMS, ids=lambda s: s.id)
def test_every_system_is_complete(s):
    mod = s.load()
    assert s.variants and s.obligations and mod.ID == s.id and mod.TITLE
    if any(ob.kind == "step" for ob in s.obligations.values()):  # the engine builds its machine
        from importlib import import_module

        assert callable(import_module(f"{s.module}.machine").machine)
    for name, cls in s.variants.items():
        assert isinstance(cls.source, str) and cls.source, name
    for oid, ob in s.obligations.items():
        assert ob.statement and ":" in ob.where and isinstance(ob.informative, bool), oid


def test_ids_are_unique_and_versions_have_one_home():
    ids = [s.id for s in systems.SYSTEMS]
    assert len(ids) == len(set(ids))
    for v in systems.all_variants():
        assert systems.home(v) in ids
    assert systems.home("riscv-pt-v5") == "riscv-pt"  # not the shared encoding checks
    assert systems.home("arm-lpae") == "encodings"


def test_unknown_system_is_a_usage_error():
    with pytest.raises(systems.UsageError, match="unknown system 'nope'"):
        systems.system("nope")


def test_list_json_names_each_system(capsys):
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in data["systems"]] == [s.id for s in systems.SYSTEMS]
    v5 = next(v for v in data["variants"] if v["name"] == "riscv-pt-v5")
    assert v5["systems"] == ["encodings", "riscv-pt"]
    wx = next(i for i in data["invariants"] if i["id"] == "wx")
    assert wx["system"] == "riscv-pt"


def test_one_matrix_per_system():
    rs = [Result(v, i, op, "proved", {}, "z3", 0.1, vacuity=True)
          for v, i, op in (("riscv-pt-v9", "wx", "map"), ("riscv-pt-v9", "enc-table", "-"),
                           ("arm-lpae", "enc-table", "-"))]
    out = render(rs, [], False)
    tables = out.split("| obligation")[1:]  # each table: its header, then a row per obligation
    assert len(tables) == 2
    assert "riscv-pt-v9" in tables[0].splitlines()[0] and "arm-lpae" in tables[1].splitlines()[0]
    assert "| wx " in tables[0] and "| enc-table " in tables[0] and "| wx " not in tables[1]
