"""`ptprove pte decode`, called in-process through proofs.cli.main."""
import importlib
import io
import json
import sys
import types

import pytest

from proofs import cli


@pytest.fixture(autouse=True)
def _cli_importable(monkeypatch):
    # cli.build_parser imports every subcommand; until `prove` exists, stand in for it.
    try:
        importlib.import_module("proofs.cmd_prove")
    except ModuleNotFoundError:
        stub = types.ModuleType("proofs.cmd_prove")
        stub.register = lambda subparsers: None
        monkeypatch.setitem(sys.modules, "proofs.cmd_prove", stub)
        monkeypatch.setattr("proofs.cmd_prove", stub, raising=False)


def run(capsys, *argv):
    code = cli.main(["pte", "decode", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def decode_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0 and err == ""
    return json.loads(out)


def test_read_only_leaf_json(capsys):
    [d] = decode_json(capsys, "0x3", "--arch", "riscv", "--mode", "sv39", "--level", "0")
    assert d["pte"] == "0x0000000000000003"
    assert (d["arch"], d["mode"], d["level"], d["gstage"]) == ("riscv", "sv39", 0, False)
    assert (d["kind"], d["reasons"], d["perms"], d["user"]) == ("leaf", [], "r", False)


def test_several_values_one_array(capsys):
    out = decode_json(capsys, "1", "0x5", "0xdf", "200804cf", "--level", "1")
    assert [d["kind"] for d in out] == ["pointer", "fault", "leaf", "fault"]
    assert out[1]["reasons"] == ["reserved-rwx"]
    assert (out[2]["perms"], out[2]["user"]) == ("rwx", True)
    assert out[3]["reasons"] == ["misaligned-superpage"]


def test_gstage_ext_and_stdin(capsys, monkeypatch):
    [d] = decode_json(capsys, "0xf", "--gstage", "--level", "2")
    assert (d["mode"], d["gstage"], d["reasons"]) == ("sv39x4", True, ["gstage-leaf-u0"])
    [d] = decode_json(capsys, "0x2000000000000003", "--level", "0", "--ext", "none")
    assert d["reasons"] == ["pbmt-without-svpbmt"]
    [d] = decode_json(capsys, "0x8000000000002003", "--level", "0", "--ext", "svnapot,svpbmt")
    assert d["kind"] == "leaf" and d["ext"] == ["svpbmt", "svnapot"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("0x3\n\n0x7\n"))
    assert [d["perms"] for d in decode_json(capsys, "-", "--level", "0")] == ["r", "rw"]


def test_human_output(capsys):
    code, out, _ = run(capsys, "0xcf", "0x41", "--mode", "sv48", "--level", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "0x00000000000000cf  V R W X - - A D  rsw=0 ppn=0x0 pbmt=PMA  leaf perms=rwx user=no"
    assert lines[1].endswith("fault  reasons=nonleaf-a")


def test_arm(capsys):
    out = decode_json(capsys, "0x1", "0x3", "0x40000701", "--arch", "arm", "--level", "1")
    assert [d["kind"] for d in out] == ["block", "table", "block"]
    assert out[2]["fields"]["oa"] == 0x4000_0000 and out[2]["fields"]["af"] == 1
    out = decode_json(capsys, "0x1", "0x403", "--arch", "arm", "--level", "3")
    assert [(d["kind"], d["reasons"]) for d in out] == [("fault", ["level3-reserved"]), ("page", [])]
    [d] = decode_json(capsys, "0x1", "--arch", "arm", "--level", "0")
    assert d["reasons"] == ["level0-block"]


@pytest.mark.parametrize("argv", [
    ["zz", "--level", "0"],
    ["0x1ffffffffffffffff", "--level", "0"],
    ["0x3", "--level", "3"],
    ["0x3", "--level", "x"],
    ["0x3", "--level", "0", "--ext", "svfoo"],
    ["0x3", "--level", "0", "--mode", "sv32"],
    ["0x3", "--level", "0", "--arch", "mips"],
    ["0x3", "--level", "4", "--arch", "arm"],
    ["0x3", "--level", "0", "--arch", "arm", "--gstage"],
    ["0x3"],
])
def test_bad_input_exit_2_one_line(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("ptprove: error:")
