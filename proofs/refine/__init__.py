"""Refinement: the lifted C of pt.c against each model version, function by function."""
