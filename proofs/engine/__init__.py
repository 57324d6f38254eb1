"""The proof engine: one algorithm for every system, knowing nothing of any.

machine.py     the Machine protocol a system implements for each version
obligation.py  step obligations and single queries; `where` from the statement
step.py        the one-step query, its vacuity witness, the replayed CTI
search.py      BMC: one unrolling per version shared by its open obligations
fixpoint.py    which provisional proofs stand (greatest fixpoint of lemmas)
decide.py      the driver: step, initial state, fixpoint, search, results
callers.py     caller contracts (presets, any): <version>@any, what one serves the other
export.py      any obligation as SMT-LIB; confirm.py: a second solver's opinion
solver.py      running a query; workers.py: where jobs run; result.py: verdicts
"""
from proofs.engine.settings import Settings

__all__ = ["Settings"]
