"""Staff accounts, logins and sessions.

Passwords are hashed with argon2id. A session token is random; the database keeps only its SHA-256, so
a leaked database does not let anyone log in. CSRF tokens are an HMAC of the session token, so forms need
no extra server state. Logins through `log_in` are throttled against password guessing (`auth.throttle`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from tillit.audit.schemas import Actor
from tillit.auth import repository, rules, throttle
from tillit.auth.errors import (
    InvalidCredentialsError,
    LoginThrottledError,
    SessionExpiredError,
    WeakPasswordError,
)
from tillit.auth.models import AuthSession, StaffAccount
from tillit.auth.schemas import Principal, StaffCreate, StaffLogin, StaffRead
from tillit.config import Settings
from tillit.core.clock import Clock
from tillit.core.errors import ConflictError, NotFoundError, ValidationFailedError
from tillit.core.ids import new_id, new_token
from tillit.db.session import UnitOfWork

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
    """Check a username and password; the same work is done whether or not the account exists.
    Not throttled by itself: logins from outside go through `log_in`."""
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


def login_limits(settings: Settings) -> rules.LoginLimits:
    """The login throttle's limits configured for this deployment (`TILLIT_LOGIN_*`)."""
    return rules.LoginLimits(
        max_failures_per_username=settings.login_max_failures_per_username,
        max_failures_per_client=settings.login_max_failures_per_client,
        window=timedelta(seconds=settings.login_failure_window_s),
        lockout=timedelta(seconds=settings.login_lockout_s),
    )


THROTTLED_MESSAGE = "too many failed logins; try again later"


def log_in(
    uow: UnitOfWork,
    username: str,
    password: str,
    *,
    client_host: str | None,
    secret: str,
    limits: rules.LoginLimits,
    clock: Clock,
) -> StaffLogin:
    """A staff login, throttled: check the locks, then the password, then start a session.

    One transaction, committed also when the login fails, so that the failure, the audit rows of a
    refusal or a lockout and the pruning are kept. Raises `LoginThrottledError` (the username or the
    client is locked, or this failure locked it) or `InvalidCredentialsError`, after the commit.
    """
    keys = throttle.keys_for(secret, username, client_host)
    refused: rules.Refusal | None = None
    wrong: InvalidCredentialsError | None = None
    with uow.begin() as session:
        throttle.take_turn(session, keys)
        refused = throttle.current_refusal(session, keys, limits, clock.now())
        if refused is not None:
            throttle.record_refusal(
                session, keys, refused, staff_id=_staff_id(session, username), clock=clock
            )
        else:
            try:
                staff = authenticate(session, username, password, clock)
            except InvalidCredentialsError as exc:
                wrong = exc
                refused = throttle.record_failure(
                    session, keys, limits, staff_id=_staff_id(session, username), clock=clock
                )
            else:
                throttle.clear(session, keys)
                token = start_session(session, kind="staff", principal_id=staff.id, clock=clock)
                return StaffLogin(staff=staff, session_token=token)
    if refused is not None:
        retry_after = rules.retry_after_seconds(refused.until, clock.now())
        raise LoginThrottledError(THROTTLED_MESSAGE, retry_after_s=retry_after)
    assert wrong is not None  # the only way here without a refusal
    raise wrong


def unlock_login(session: Session, username: str, *, operator: str, secret: str, clock: Clock) -> int:
    """Lift the login lock on `username` now, for the staff member `operator`; the failures forgotten."""
    keys = throttle.keys_for(secret, username, None)
    throttle.take_turn(session, keys)
    return throttle.unlock(
        session, keys, operator=Actor.staff(operator), staff_id=_staff_id(session, username), clock=clock
    )


def _staff_id(session: Session, username: str) -> str | None:
    account = repository.staff_by_username(session, username)
    return account.id if account is not None else None


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
