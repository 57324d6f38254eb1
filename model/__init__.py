"""ptprove's model: what the hardware and Xen's page-table code do."""
