"""Database plumbing: engine, sessions, the declarative base, unit of work and migrations."""
