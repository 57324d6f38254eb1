"""RISC-V: PTE encodings (Sv39/48/57, G-stage) and Xen's RISC-V page-table code."""
