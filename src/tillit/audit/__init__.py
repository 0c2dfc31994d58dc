"""The append-only, hash-chained audit log of every read and change of personal data."""
