"""`ptprove export --smtlib`: standalone scripts whose headers z3's own binary agrees with."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from needs import require
from proofs.cli import main


def z3_binary() -> str | None:
    """The z3 executable the z3-solver wheel installs next to this Python, or one on PATH."""
    here = Path(sys.executable).with_name("z3")
    return str(here) if here.exists() else shutil.which("z3")


def test_export_upstream_tlb_matches_z3_binary(tmp_path, capsys):
    assert main(["export", "--smtlib", str(tmp_path), "--variant", "riscv-pt-upstream",
                 "--invariant", "tlb"]) == 0
    assert "wrote 8 SMT-LIB files" in capsys.readouterr().out
    files = sorted((tmp_path / "riscv-pt-upstream" / "tlb").glob("*.smt2"))
    assert [f.name for f in files][:2] == ["destroy.smt2", "destroy.vacuity.smt2"]
    z3 = z3_binary()
    require(z3, "no z3 binary next to this Python or on PATH: the files cannot be re-solved")
    for f in files:
        text = f.read_text()
        assert "(set-logic QF_UFBV)" in text and "(assert" in text and "(check-sat)" in text
        assert "; lemmas assumed: [\"idle\"]" in text
        expected = text.split("; expected: ")[1].split()[0]
        assert expected == ("sat" if "vacuity" in f.name else "unsat")
        got = subprocess.run([z3, str(f)], capture_output=True, text=True, timeout=60).stdout.strip()
        assert got == expected, f.name


def test_export_encoding_obligations(tmp_path, capsys):
    assert main(["export", "--smtlib", str(tmp_path), "--variant", "arm-lpae",
                 "--invariant", "enc-mapping"]) == 0
    names = sorted(f.name for f in (tmp_path / "arm-lpae" / "enc-mapping").iterdir())
    assert names == [f"vmsav8-64-4k-l{k}.smt2" for k in range(4)]


def test_export_bad_arguments(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["export", "--smtlib", str(tmp_path / "file")]) == 2
    assert main(["export", "--smtlib", str(tmp_path), "--variant", "nope"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2
