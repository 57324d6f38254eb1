"""The toy's machine: an 8-bit counter, each call adds 0 or 1."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from model.term import Bool, Word, bv, evaluate, sym_word
from proofs.engine.machine import ANY
from tests.toy_system.versions import VERSIONS


@dataclass
class View:
    pre: Word
    post: Word
    limit: int


@dataclass
class ToyMachine:
    v: object
    depth: int
    unit: str = "calls"

    def __post_init__(self) -> None:
        self.operations = {ANY: "bump"}

    def initial(self, params=None) -> Word:
        return bv(0, 8)

    def initial_params(self, model) -> None:
        return None

    def arbitrary(self, op: str) -> Word:
        return sym_word("toy_n", 8)

    def fresh_call(self, tag: str, op: Optional[str]) -> Word:
        return sym_word(f"toy_by{tag}", 8)

    def witness(self, tag: str) -> Word:
        return bv(0, 64)

    def pre_ok(self, n: Word) -> Bool:
        return Bool(True)

    def contract(self, n: Word, by: Word) -> Bool:
        return by <= 1

    def step(self, n: Word, by: Word) -> tuple:
        return n, self.v.bump(n, by)

    def post(self, st: tuple) -> Word:
        return st[1]

    def halted(self, st: tuple) -> Bool:
        return Bool(False)

    def in_op(self, n: Word, by: Word, op: str) -> Bool:
        return Bool(True)

    def view(self, st: tuple, va: Word) -> View:
        return View(st[0], st[1], self.v.limit())

    def lemma(self, name: str, n: Word, addresses: list) -> Bool:
        return n <= self.v.limit()

    def addresses(self, pre, call, va) -> list:
        return []

    def concrete_pre(self, n: Word, model) -> Word:
        return evaluate(n, model)

    def concrete_call(self, by: Word, model) -> Word:
        return evaluate(by, model)

    def call_json(self, by: Word) -> int:
        return int(by)

    def call_from_json(self, data: int) -> Word:
        return bv(data, 8)

    def describe_cti(self, symbolic_pre, n, by, va, st, model) -> dict:
        return {"kind": "not-inductive", "n": int(n), "by": int(by)}

    def describe_trace(self, calls: list, steps: list, va: int) -> dict:
        return {"kind": "violated", "calls": [int(c) for c in calls], "final": int(steps[-1][1])}

    def bounds(self) -> dict:
        return {"depth": self.depth, "counter_bits": 8}


def machine(name: str, settings) -> ToyMachine:
    return ToyMachine(VERSIONS[name](), settings.depth)
