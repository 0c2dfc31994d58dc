"""Audit errors. Both are server-side faults (HTTP 500): a caller's bug or a damaged log, never the
fault of whoever made the request."""

from __future__ import annotations

from tillit.core.errors import TillitError


class AuditInputError(TillitError):
    """An audit row cannot be written as asked: unknown actor type, oversized column, or a `detail` that
    looks like content or an identifier in clear. A programming error in the calling domain."""

    code = "audit_input_invalid"
    http_status = 500


class AuditIntegrityError(TillitError):
    """The log cannot be appended to safely (its head is missing while events exist)."""

    code = "audit_integrity"
    http_status = 500
