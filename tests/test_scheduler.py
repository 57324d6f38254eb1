"""`prove --scheduler` (obligations on a dask.distributed cluster) and `make sweep`'s driver."""
from __future__ import annotations

import json

import pytest

from proofs import sweep
from proofs.cli import main

ARGV = ["prove", "--system", "riscv-fixmap", "--variant", "riscv-fixmap-upstream", "--jobs", "2"]


def _verdicts(path) -> list:
    return sorted((r["variant"], r["invariant"], r["operation"], r["verdict"])
                  for r in json.loads(path.read_text())["results"])


def test_a_local_cluster_gives_the_same_results_and_report(tmp_path, capsys):
    local, dask = tmp_path / "pool.json", tmp_path / "dask.json"
    assert main([*ARGV, "--json", str(local)]) == 0
    assert main([*ARGV, "--scheduler", "--json", str(dask)]) == 0
    assert _verdicts(dask) == _verdicts(local) and len(_verdicts(dask)) == 12
    assert "all 12 verdicts match the expectations" in capsys.readouterr().out


def test_an_unreachable_scheduler_is_one_line_exit_2(capsys, monkeypatch):
    from proofs.engine.workers import DaskPool
    monkeypatch.setattr(DaskPool, "CONNECT_SECONDS", 1)
    assert main([*ARGV, "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot reach the scheduler" in err[0]


def test_sweep_refuses_an_unknown_configuration(capsys):
    with pytest.raises(SystemExit) as e:
        sweep.parse(["--configs", "sv48,deep"])
    assert e.value.code == 2 and "unknown configuration deep" in capsys.readouterr().err


def test_sweep_runs_a_deep_configuration_and_reports_it(tmp_path, capsys):
    assert sweep.main(["--configs", "depth8", "--out", str(tmp_path), "--",
                       "--system", "riscv-fixmap", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert "depth8: 23 results" in out and (tmp_path / "depth8.json").exists()
    assert json.loads((tmp_path / "depth8.json").read_text())["meta"]["state_machine_bounds"]["depth"] == 8
