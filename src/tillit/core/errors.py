"""The error hierarchy: every domain error carries a stable code, an HTTP status and a CLI exit code.

Mapping to responses happens in one place (`tillit.main` for HTTP, `tillit.cli` for the CLI), so a
domain never knows how it is presented.
"""

from __future__ import annotations

from typing import Any, ClassVar


class TillitError(Exception):
    """Base of all expected errors. `code` is stable and documented; `message` is for people."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class NotFoundError(TillitError):
    code = "not_found"
    http_status = 404


class ValidationFailedError(TillitError):
    code = "validation_failed"
    http_status = 422


class PermissionDeniedError(TillitError):
    code = "permission_denied"
    http_status = 403


class NotAuthenticatedError(TillitError):
    code = "not_authenticated"
    http_status = 401


class ConflictError(TillitError):
    code = "conflict"
    http_status = 409


class PayloadTooLargeError(TillitError):
    code = "payload_too_large"
    http_status = 413


class TooManyRequestsError(TillitError):
    """Refused for now, not for good: `retry_after_s` says when to try again (HTTP `Retry-After`)."""

    code = "too_many_requests"
    http_status = 429

    def __init__(self, message: str, *, retry_after_s: int, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details={"retry_after_s": retry_after_s, **(details or {})})
        self.retry_after_s = retry_after_s


class ConfigurationError(TillitError):
    code = "configuration_error"
    http_status = 500


class UnknownPurposeError(TillitError):
    code = "unknown_purpose"
    http_status = 422


class PurposeNotAllowedError(TillitError):
    """A purpose asked to read or use a record it does not hold (or a subject it may not use)."""

    code = "purpose_not_allowed"
    http_status = 403
