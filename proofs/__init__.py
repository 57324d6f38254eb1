"""ptprove's proofs: the invariants, the engine that checks them, the CLI."""
