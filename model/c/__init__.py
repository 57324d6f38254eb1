"""Lifting Xen's C (as LLVM IR) into `model.term` values: toolchain, IR reader, symbolic executor."""
