"""riscv-pt's vector plugin (the interface `proofs/vector.py` calls): vectors
built and replayed by vectors.py, drawn by show.py, boundary scenarios from
regression.py.  Only this module imports all three, so none imports another's
caller."""
from proofs.systems.riscv_pt.regression import vectors as regression
from proofs.systems.riscv_pt.show import dot, mail, named_calls, png, render, svg
from proofs.systems.riscv_pt.vectors import certificate, from_results, is_canonical, replay

__all__ = ["from_results", "is_canonical", "replay", "render", "mail", "named_calls", "dot", "svg", "png", "regression", "certificate"]
