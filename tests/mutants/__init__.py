"""The test suite's own mutation run (`make test-mutants`): see run.py and catalogue.py."""
