"""Data subjects and their identifiers, encrypted at rest with a keyed hash for lookup."""
