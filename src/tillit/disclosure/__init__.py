"""Disclosure to authorities: a police request backed by a court order, scoped to one subject and a time
range, handled only by security officers, kept apart from the data-subject rights requests."""
