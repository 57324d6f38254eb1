"""Arm VMSAv8-64 descriptors and Xen's Arm page-table code."""
