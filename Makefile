# ptprove: `make prove` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Same formulas in the same order on every run: solver times and models are reproducible.
export PYTHONHASHSEED := 0

.PHONY: prove test test-mutants bench sweep mutants clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,cvc5,bench,dist]'
	touch $(STAMP)

prove: $(STAMP)
	$(BIN)/ptprove prove --json build/report.json --junit build/junit.xml --vectors counterexamples --lifted-c --callers presets,any

# one pytest worker per core (pytest-xdist): on this 2-core machine 111 s against 201 s in one process
test: $(STAMP)
	$(BIN)/pytest -n auto

# The test suite's own mutation run (not part of `make test`): each edit of
# tests/mutants/catalogue.py applied to a temporary copy, its tests run; table in build/test-mutants.md.
# knobs: TEST_MUTANTS_ARGS (e.g. --only id,id, --jobs 2, --base REV), see `python -m tests.mutants.run --help`
test-mutants: $(STAMP)
	$(BIN)/python -m tests.mutants.run $(TEST_MUTANTS_ARGS)

# knobs: BENCH_ARGS (e.g. --quick), see `python -m proofs.bench --help`
bench: $(STAMP)
	$(BIN)/python -m proofs.bench $(BENCH_ARGS)

# The deep configurations (Sv48, Sv57, BMC depth 8 and 10, the p2m 4 entries wide, p2m.c's p2m_set_entry refined at every level), each a `prove` on a dask.distributed
# cluster: SCHEDULER=tcp://host:8786 for an existing one (default: a local cluster); reports in
# build/sweep/; verdicts that differ from the default bounds' expectations are printed, not failed.
# knobs: SCHEDULER, SWEEP_ARGS (e.g. --configs sv48,depth8), see `python -m proofs.sweep --help`
sweep: $(STAMP)
	$(BIN)/python -m proofs.sweep $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(SWEEP_ARGS)

# knobs: MUTANTS=id,id  MUTANT_JOBS=n  MUTANT_TRACE=depth (see `python -m proofs.mutation --help`)
mutants: $(STAMP)
	$(BIN)/python -m proofs.mutation

clean:
	rm -rf $(VENV) build
