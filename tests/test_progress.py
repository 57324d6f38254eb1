"""What `ptprove prove` shows while it works: log lines (not a terminal) and the live bar."""
from __future__ import annotations

import io

from proofs.cli import main
from proofs.progress import HEARTBEAT, Progress, split_label, verdict_counts
from proofs.engine.result import Result

VERSIONS = ["riscv-pt-v5", "riscv-p2m-v2"]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def result(verdict: str) -> Result:
    return Result("riscv-pt-v5", "wx", "map", verdict, {}, "z3", 0.1)


def test_labels_split_into_phase_and_item():
    assert split_label("step riscv-pt-v5 wx map", VERSIONS) == ("step", "riscv-pt-v5 wx map")
    assert split_label("p2m split riscv-p2m-v2 no-leak", VERSIONS) == ("p2m split", "riscv-p2m-v2 no-leak")
    assert split_label("arm-pt", VERSIONS) == ("arm-pt", "")
    # a version under a caller contract is the version: the phase is still "initial state"
    assert split_label("initial state riscv-pt-v5@any lemma frame", VERSIONS) == \
        ("initial state", "riscv-pt-v5@any lemma frame")
    assert verdict_counts(["violated", "proved", "proved"]) == "2 proved, 1 violated"


def test_a_log_gets_a_line_per_phase_and_per_system_and_a_heartbeat():
    out, clock = io.StringIO(), Clock()
    with Progress(out, tty=False, versions=VERSIONS, clock=clock, ticker=False) as p:
        with p.running("riscv-pt", "1 version x 1 obligation") as finished:
            for n in range(1, 5):
                clock.now += 10
                p.callback(n, 4, f"step riscv-pt-v5 wx op{n}")
            clock.now += HEARTBEAT  # a long search: a line before it ends
            p.callback(1, 3, "search riscv-pt-v5 wx op1")
            clock.now += 5
            p.callback(3, 3, "search riscv-pt-v5 wx op3")
            finished += [result("proved"), result("violated")]
    lines = out.getvalue().splitlines()
    assert lines == [
        "[    0.0s] riscv-pt: started (1 version x 1 obligation)",
        "[   40.0s] riscv-pt step: 4 of 4 done in 40.0 s",
        "[  100.0s] riscv-pt search: 1 of 3 done so far (latest: riscv-pt-v5 wx op1)",
        "[  105.0s] riscv-pt search: 3 of 3 done in 65.0 s",
        "[  105.0s] riscv-pt: 2 results: 1 proved, 1 violated in 105.0 s",
    ]


def test_a_terminal_gets_a_live_bar_naming_the_item_and_the_phase():
    out = io.StringIO()
    with Progress(out, tty=True, versions=VERSIONS, systems=3) as p:
        with p.running("riscv-pt", "1 version x 1 obligation") as finished:
            p.callback(1, 4, "step riscv-pt-v5 wx map")
            p.bar.refresh()
            shown = out.getvalue()
            finished.append(result("proved"))
    assert "riscv-pt step" in shown and "last done: riscv-pt-v5 wx map" in shown and "1/4" in shown
    assert "all systems" in shown and "0/3" in shown
    assert "riscv-pt: 1 results: 1 proved" in out.getvalue()  # the line above the bar stays


def test_prove_in_a_log_prints_progress_lines_before_the_report(capsys):
    argv = ["prove", "--variant", "riscv-pt-upstream", "--invariant", "enc-table,refusal", "--jobs", "1"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    started = next(n for n, line in enumerate(lines)
                   if "riscv-pt: started (1 version x 1 obligation; system 2 of 2)" in line)
    assert "encodings: 6 results: 6 proved in" in lines[started - 1]  # Sv39 and Sv39x4, 3 levels
    assert "riscv-pt step: 4 of 4 done in" in lines[started + 1]
    assert "riscv-pt: 4 results: 4 proved in" in lines[started + 2]
    assert lines.index("riscv-pt: RISC-V hypervisor page tables (pt.c)") > started + 2


def test_a_log_that_said_nothing_for_a_while_gets_a_heartbeat_line():
    out, clock = io.StringIO(), Clock()
    p = Progress(out, tty=False, versions=VERSIONS, clock=clock, ticker=False)
    assert p.heartbeat() == "ptprove: running"
    with p, p.running("p2m", "1 version x 1 obligation"):
        assert p.heartbeat() == "p2m: running"
        p.callback(2, 5, "p2m step riscv-p2m-v2 no-leak map")
        assert p.heartbeat() == "p2m step: 2 of 5 done so far (latest: riscv-p2m-v2 no-leak map)"
        p.callback(5, 5, "p2m step riscv-p2m-v2 no-leak destroy")
        p.callback(1, 1, "p2m")
    assert "p2m obligations: 1 of 1 done" in out.getvalue()


def test_the_ticker_writes_the_heartbeat_when_no_callback_comes(monkeypatch):
    import time

    import proofs.progress

    monkeypatch.setattr(proofs.progress, "HEARTBEAT", 0.2)
    out = io.StringIO()
    with Progress(out, tty=False, versions=VERSIONS) as p, p.running("riscv-pt", "a long step"):
        for _ in range(100):  # up to 10 s on a loaded machine; a line comes after 0.2 s
            if "riscv-pt: running" in out.getvalue():
                break
            time.sleep(0.1)
    assert "] riscv-pt: running" in out.getvalue()
