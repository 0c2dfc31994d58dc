"""Recognisers: pure functions from text to findings, one module per family of kinds."""
