"""What a system gives the engine about one version: its machine.

The engine knows nothing of any system.  A version's machine says what a
state, a call and one atomic step are, where every real trace starts, what
its callers promise, how the obligations see a step, and how to read a
solver's values back as concrete calls and decode them.  The same machine
runs symbolically (proofs) and concretely (replay), because its model is
written once over `model.term`.
"""
from __future__ import annotations

from typing import Any, Optional, Protocol

from model.term import Bool, Word

ANY = "any"  # the operation key of a machine whose obligations are over any call


class Machine(Protocol):
    #: operation key -> the name results give it (`{ANY: "any call"}`: one operation)
    operations: dict[str, str]
    depth: int  # BMC bound
    # optional: `assumptions`, a tuple of sentences every result of the machine states (extra.assumptions)
    # optional: `traces_from`, other versions whose committed traces are replayed on this one when it
    # has none of its own (a lifted C version: its base's; `proofs/engine/certificates.py`)
    unit: str  # what one BMC step is called in details ("steps", "calls")

    def initial(self, params: Any = None) -> Any: ...  # where every real trace starts
    def initial_params(self, model: Any) -> Any: ...  # its free parameters' values (JSON), or None
    def arbitrary(self, op: str) -> Any: ...  # a symbolic pre-state of a step of `op`
    def fresh_call(self, tag: str, op: Optional[str]) -> Any: ...  # None: any operation
    def witness(self, tag: str) -> Word: ...  # a free address the obligations look at
    def pre_ok(self, state: Any) -> Bool: ...  # a pre-state a step may start from
    def contract(self, state: Any, call: Any) -> Bool: ...  # what the callers promise
    def step(self, state: Any, call: Any) -> Any: ...
    def post(self, step: Any) -> Any: ...
    def halted(self, step: Any) -> Bool: ...  # the step ended in a failed ASSERT / BUG
    def in_op(self, state: Any, call: Any, op: str) -> Bool: ...  # the step is in a call to `op`
    def view(self, step: Any, va: Word) -> Any: ...  # what obligations read
    def lemma(self, name: str, state: Any, addresses: list[Word]) -> Bool: ...
    def addresses(self, pre: Any, call: Any, va: Word) -> list[Word]: ...
    # (optional, for obligations `by_case`) conditions on a step's pre-state and call
    # the step query is split by:  def cases(self, pre, call) -> list[Bool]
    # reading values back
    def concrete_pre(self, pre: Any, model: Any) -> Any: ...
    def concrete_call(self, call: Any, model: Any) -> Any: ...
    def describe_cti(self, symbolic_pre: Any, pre: Any, call: Any, va: int, step: Any,
                     model: Any) -> dict: ...
    def describe_trace(self, calls: list, steps: list, va: int) -> dict: ...
    def call_json(self, call: Any) -> Any: ...
    def call_from_json(self, data: Any) -> Any: ...
    def bounds(self) -> dict: ...
