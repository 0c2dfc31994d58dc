"""Staff accounts, logins and sessions.

Passwords are hashed with argon2id. A session token is random; the database keeps only its SHA-256, so
a leaked database does not let anyone log in. CSRF tokens are an HMAC of the session token, so forms need
no extra server state.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from tillit.auth import repository, rules
from tillit.auth.errors import InvalidCredentialsError, SessionExpiredError, WeakPasswordError
from tillit.auth.models import AuthSession, StaffAccount
from tillit.auth.schemas import Principal, StaffCreate, StaffRead
from tillit.core.clock import Clock
from tillit.core.errors import ConflictError, NotFoundError, ValidationFailedError
from tillit.core.ids import new_id, new_token

STAFF_SESSION_TTL = timedelta(hours=8)
CUSTOMER_SESSION_TTL = timedelta(minutes=30)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("tillit-timing-equaliser-not-a-password")


def add_staff(session: Session, data: StaffCreate, clock: Clock) -> StaffRead:
    """Create a staff account; refuses unknown roles, weak passwords and taken usernames."""
    unknown = rules.unknown_roles(data.roles)
    if unknown:
        known = ", ".join(rules.ROLES)
        raise ValidationFailedError(f"unknown role(s) {', '.join(unknown)}; known roles: {known}")
    problem = rules.password_problem(data.password, data.username)
    if problem:
        raise WeakPasswordError(problem)
    if repository.staff_by_username(session, data.username) is not None:
        raise ConflictError(f"a staff account named '{data.username}' already exists")
    account = StaffAccount(
        id=new_id(),
        username=data.username,
        display_name=data.display_name,
        password_hash=_hasher.hash(data.password),
        roles=sorted(set(data.roles)),
        active=True,
        created_at=clock.now(),
    )
    session.add(account)
    session.flush()
    return StaffRead.model_validate(account)


def authenticate(session: Session, username: str, password: str, clock: Clock) -> StaffRead:
    """Check a username and password; the same work is done whether or not the account exists."""
    account = repository.staff_by_username(session, username)
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise InvalidCredentialsError("wrong username or password") from None
    if account is None or not account.active:
        raise InvalidCredentialsError("wrong username or password")
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    account.last_login_at = clock.now()
    return StaffRead.model_validate(account)


def list_staff(session: Session) -> list[StaffRead]:
    return [StaffRead.model_validate(a) for a in repository.list_staff(session)]


def set_active(session: Session, username: str, active: bool) -> StaffRead:
    account = repository.staff_by_username(session, username)
    if account is None:
        raise NotFoundError(f"no staff account named '{username}'")
    account.active = active
    return StaffRead.model_validate(account)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, *, kind: str, principal_id: str, clock: Clock) -> str:
    """Start a session and return its token (to be put in a signed cookie; never stored in clear)."""
    ttl = STAFF_SESSION_TTL if kind == "staff" else CUSTOMER_SESSION_TTL
    token = new_token(32)
    now = clock.now()
    session.add(
        AuthSession(
            token_hash=_hash_token(token),
            kind=kind,
            principal_id=principal_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()
    return token


def resolve_session(session: Session, token: str, clock: Clock, *, display_name: str = "") -> Principal:
    """The principal behind a session token; raises when unknown, revoked or expired."""
    row = repository.session_by_hash(session, _hash_token(token))
    if row is None or row.revoked_at is not None:
        raise SessionExpiredError("you are not logged in")
    if row.expires_at <= clock.now():
        raise SessionExpiredError("your session has expired; please log in again")
    if row.kind == "staff":
        account = repository.staff_by_id(session, row.principal_id)
        if account is None or not account.active:
            raise SessionExpiredError("this staff account is no longer active")
        return Principal(
            kind="staff",
            id=account.id,
            display_name=account.display_name,
            roles=list(account.roles),
            session_expires_at=row.expires_at,
        )
    return Principal(
        kind="customer", id=row.principal_id, display_name=display_name, session_expires_at=row.expires_at
    )


def end_session(session: Session, token: str, clock: Clock) -> None:
    row = repository.session_by_hash(session, _hash_token(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()


def csrf_token(secret: str, session_token: str) -> str:
    """A per-session CSRF token for forms (HMAC of the session token)."""
    return hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: str, session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(secret, session_token), presented)


def has_permission(principal: Principal, permission: str) -> bool:
    return principal.kind == "staff" and rules.has_permission(principal.roles, permission)
