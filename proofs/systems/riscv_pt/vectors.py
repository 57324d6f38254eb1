"""riscv-pt's vectors: the trace machinery of `proofs/systems/trace_vectors.py`.

That module's defaults (`TraceArch`, `RISCV`) are riscv-pt's, and arm-pt and
the fixmap, whose machines are riscv-pt's, reuse it with their own TraceArch;
it lives beside the systems so that none of them imports another's internals.
This name is the same module (riscv-pt's plugin, show, explain and the tests
import it by it).
"""
import sys

import proofs.systems.trace_vectors as _trace_vectors

sys.modules[__name__] = _trace_vectors
