"""Auth errors with stable codes."""

from __future__ import annotations

from tillit.core.errors import NotAuthenticatedError, ValidationFailedError


class InvalidCredentialsError(NotAuthenticatedError):
    code = "invalid_credentials"


class SessionExpiredError(NotAuthenticatedError):
    code = "session_expired"


class WeakPasswordError(ValidationFailedError):
    code = "weak_password"
