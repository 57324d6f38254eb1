"""The command line as a new user meets it: --version, help for every option,
the README's commands runnable as written, the package installable without warnings."""
from __future__ import annotations

import argparse
import json
import re
import tomllib
from pathlib import Path

import pytest

from proofs.cli import build_parser, main
from proofs.report import report_schema

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert re.fullmatch(r"ptprove \S+\n", capsys.readouterr().out)


def _parsers(parser: argparse.ArgumentParser, name: str = "ptprove"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def test_every_command_and_option_has_help():
    parser = build_parser()
    assert "Xen's page-table code" in parser.description and "exit status" in parser.description
    missing = [f"{name} {a.option_strings or a.dest}" for name, p in _parsers(parser) for a in p._actions
               if not isinstance(a, argparse._SubParsersAction) and not a.help
               and name != "ptprove export"]  # proofs/cmd_export.py is being restructured: its help then
    assert missing == []


def test_readme_commands_name_the_venv():
    commands = [line.strip() for line in README.splitlines() if line.startswith("    ")
                and re.search(r"(^|\| )ptprove ", line.strip())]
    assert commands == []  # each is `.venv/bin/ptprove ...`
    assert "source .venv/bin/activate" in README and ".venv/bin/ptprove prove" in README


def test_readme_documents_the_report_shapes():
    for key in report_schema()["required"]:
        assert f"`{key}`" in README
    assert "version :: obligation [operation]" in README and "<properties>" in README
    assert "| 130 |" in README


def test_the_c_sources_are_package_data_not_a_package():
    from setuptools import find_packages

    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert tool["include-package-data"] is False  # else setuptools warns that proofs.c is importable
    found = find_packages(str(ROOT), include=tool["packages"]["find"]["include"])
    assert "proofs.c" not in found and {"proofs", "proofs.engine", "proofs.systems.p2m", "model.riscv"} <= set(found)
    assert "c/*.c" in tool["package-data"]["proofs"]


def test_list_names_every_statement_without_templates(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "{" not in out and "is_table(p) <=> p is a pointer (Arm: table)" in out
    assert main(["list", "--json"]) == 0
    assert "{spec" not in capsys.readouterr().out


def test_readme_documents_every_key_pte_decode_json_prints(capsys):
    table = README[README.index("## Decoding entries"):README.index("## Modelling a new patch version")]
    documented = set(re.findall(r"`([a-z_]+)`", "".join(l.split("|")[1] for l in table.splitlines()
                                                          if l.startswith("| `"))))
    printed = set()
    for argv in (["0x80200cf", "--level", "0"], ["0x80200c5", "--level", "0", "--ext", "zicfiss"],
                 ["0x40000000000711", "--arch", "arm", "--level", "3"]):
        assert main(["pte", "decode", *argv, "--json"]) == 0
        printed |= {k for d in json.loads(capsys.readouterr().out) for k in d}
    assert printed == documented
