"""What must hold of the toy: the counter stays below 5 (and below 9)."""
from model.term import Bool
from proofs.engine.obligation import StepObligation


def bounded(v) -> Bool:
    return v.post <= v.limit


OBLIGATIONS = {o.id: o for o in (
    StepObligation("below-5", "the counter stays below 5", lambda v: v.post < 5, ("bound",)),
    StepObligation("below-9", "the counter stays below 9", lambda v: v.post < 9, ("bound",)),
    StepObligation("lemma-bound", "the counter never passes the limit", bounded, ("bound",),
                   lemma="bound"),
)}
