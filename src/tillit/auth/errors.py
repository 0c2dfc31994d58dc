"""Auth errors with stable codes."""

from __future__ import annotations

from tillit.core.errors import NotAuthenticatedError, TooManyRequestsError, ValidationFailedError


class InvalidCredentialsError(NotAuthenticatedError):
    code = "invalid_credentials"


class SessionExpiredError(NotAuthenticatedError):
    code = "session_expired"


class WeakPasswordError(ValidationFailedError):
    code = "weak_password"


class LoginThrottledError(TooManyRequestsError):
    """Too many failed logins for this username or from this client: refused, whatever the password, until
    `retry_after_s` has passed. The message is the same for both, and for accounts that do not exist."""

    code = "login_throttled"
