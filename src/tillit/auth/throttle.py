"""Login throttling: failed staff logins lock the username, and the client, for a while.

Why: a staff account opens customers' conversations, rights requests and disclosure registers, so its
password must not be guessable by trying. After `max_failures` failures for one username within the
window, that username is refused for the lockout even with the right password; after (many more)
failures from one client address, that client is refused whatever username it tries, so that spraying one
common password over many usernames is bounded too (`auth.rules.locked_until` is the rule; the numbers
are settings, `TILLIT_LOGIN_*`). Unknown usernames are counted and locked exactly like real ones, and the
refusal says the same thing in every case, so a lockout does not reveal whether an account exists.

State: one row per failure in `auth_login_failure`, so that every server process (and replica) sees the
same count. The username and the client address are stored only as keyed hashes (HMAC with a key derived
from the deployment secret, `core.crypto.keyed_hash`): a username field sometimes holds a mistyped
password, IP addresses are personal data here (as in `conversation_ip`), and without the secret a hash
cannot be matched against the small space of all IPv4 addresses. A refused attempt is not a failure and
writes no row, so hammering a locked key neither grows the table nor extends the lock. A successful login
deletes the username's failures.

Pruning: each failure written deletes every failure older than the window plus the lockout (the
`horizon`: an older failure can neither count in a window nor end a lock still running). So the table
never holds more than the failures of the last horizon, and no job has to run for it. The retention
machinery is not used: it deletes records when the policy's purposes stop holding them, and these rows
serve no purpose of the privacy notice; they are security state that goes stale after minutes.

Races: the check, the password check and the write of a failure run in one transaction that first takes
a lock per key (PostgreSQL advisory locks, username before client so that two logins never wait on each
other in a cycle; SQLite has one writer at a time anyway). So concurrent attempts on one username or from
one client are counted one after the other, and exactly one of them starts a lockout.

Audit: every refusal (`auth.login_throttled`), every lockout (`auth.login_locked`) and every early unlock
by an operator (`auth.login_unlocked`, `tillit staff unlock`) is recorded. The detail holds only the keyed
hashes (to correlate rows), counts, limits and times; the record is the staff account when the username
names one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.auth import repository, rules
from tillit.auth.models import LoginFailure
from tillit.core.clock import Clock
from tillit.core.crypto import keyed_hash
from tillit.core.ids import new_id

ACTOR = Actor.system("login_throttle")
REFUSED = "auth.login_throttled"
LOCKED = "auth.login_locked"
UNLOCKED = "auth.login_unlocked"
STAFF_ACCOUNT = "staff_account"
HASH_INFO = b"tillit/login-throttle/v1"
"""Key-derivation label of the throttle's hashes: a key of their own, unrelated to subject lookups."""
_PG_LOCK_USERNAME = 741_711_751
_PG_LOCK_CLIENT = 741_711_752
"""Namespaces (the first key) of the two-key advisory locks; two-key locks never collide with the audit
chain's one-key lock."""


@dataclass(frozen=True)
class LoginKeys:
    """What failures are counted under: keyed hashes of the username and of the client (if known)."""

    username_hash: str
    client_hash: str | None


def keys_for(secret: str, username: str, client_host: str | None) -> LoginKeys:
    """Keyed, so that a copy of the table alone cannot be matched against names or addresses."""
    client = rules.client_key(client_host)
    return LoginKeys(
        username_hash=keyed_hash(secret, "login-username", rules.username_key(username), info=HASH_INFO),
        client_hash=keyed_hash(secret, "login-client", client, info=HASH_INFO) if client else None,
    )


def take_turn(session: Session, keys: LoginKeys) -> None:
    """Hold the keys' locks until the transaction ends (always username first, then client)."""
    repository.lock_login_key(session, _PG_LOCK_USERNAME, _lock_key(keys.username_hash))
    if keys.client_hash is not None:
        repository.lock_login_key(session, _PG_LOCK_CLIENT, _lock_key(keys.client_hash))


def current_refusal(
    session: Session, keys: LoginKeys, limits: rules.LoginLimits, now: datetime
) -> rules.Refusal | None:
    """None when a login may be tried now, else until when it is refused."""
    by_username, by_client = _failures(session, keys, limits, now)
    return rules.refusal(by_username, by_client, limits, now)


def record_refusal(
    session: Session, keys: LoginKeys, refusal: rules.Refusal, *, staff_id: str | None, clock: Clock
) -> None:
    """Audit one attempt refused because its username or client is locked."""
    now = clock.now()
    detail = _key_detail(keys) | {
        "scopes": list(refusal.scopes),
        "retry_after_s": rules.retry_after_seconds(refusal.until, now),
    }
    _audit(session, REFUSED, staff_id, detail, clock)


def record_failure(
    session: Session, keys: LoginKeys, limits: rules.LoginLimits, *, staff_id: str | None, clock: Clock
) -> rules.Refusal | None:
    """Store one failed login and prune stale ones; when this failure starts a lockout, audit it and
    return it. Call after `take_turn` and a `current_refusal` that was None, in the same transaction."""
    now = clock.now()
    repository.delete_failures_before(session, now - limits.horizon)
    repository.add_failure(
        session,
        LoginFailure(id=new_id(), username_hash=keys.username_hash, client_hash=keys.client_hash, at=now),
    )
    by_username, by_client = _failures(session, keys, limits, now)
    lock = rules.refusal(by_username, by_client, limits, now)
    if lock is not None:
        detail = _key_detail(keys) | {
            "scopes": list(lock.scopes),
            "username_failures": _within(by_username, now - limits.window),
            "client_failures": _within(by_client, now - limits.window),
            "max_failures_per_username": limits.max_failures_per_username,
            "max_failures_per_client": limits.max_failures_per_client,
            "window_s": int(limits.window.total_seconds()),
            "lockout_s": int(limits.lockout.total_seconds()),
            "locked_until": lock.until.isoformat(),
        }
        _audit(session, LOCKED, staff_id, detail, clock)
    return lock


def clear(session: Session, keys: LoginKeys) -> int:
    """Forget the username's failures (after a successful login); how many. The client's others stay."""
    return repository.delete_failures_of_username(session, keys.username_hash)


def unlock(session: Session, keys: LoginKeys, *, operator: Actor, staff_id: str | None, clock: Clock) -> int:
    """Lift a username's lock before its time (an operator vouched for the person), audited; how many
    failures were forgotten. A locked client address cannot be named here and ends with its lockout."""
    cleared = clear(session, keys)
    audit_service.record_as(
        session,
        operator,
        UNLOCKED,
        record_type=STAFF_ACCOUNT if staff_id else None,
        record_id=staff_id,
        detail={"username_hash": keys.username_hash, "failures_cleared": cleared},
        clock=clock,
    )
    return cleared


def _failures(
    session: Session, keys: LoginKeys, limits: rules.LoginLimits, now: datetime
) -> tuple[list[datetime], list[datetime]]:
    since = now - limits.horizon
    by_username = repository.failure_times_by_username(session, keys.username_hash, since)
    by_client = (
        repository.failure_times_by_client(session, keys.client_hash, since)
        if keys.client_hash is not None
        else []
    )
    return by_username, by_client


def _within(times: Sequence[datetime], since: datetime) -> int:
    return sum(1 for at in times if at > since)


def _key_detail(keys: LoginKeys) -> dict[str, Any]:
    return {"username_hash": keys.username_hash, "client_hash": keys.client_hash}


def _audit(session: Session, action: str, staff_id: str | None, detail: dict[str, Any], clock: Clock) -> None:
    audit_service.record_as(
        session,
        ACTOR,
        action,
        record_type=STAFF_ACCOUNT if staff_id else None,
        record_id=staff_id,
        detail=detail,
        clock=clock,
    )


def _lock_key(key_hash: str) -> int:
    """A signed 32-bit advisory-lock key from a hex hash (collisions only make two keys take turns)."""
    return int(key_hash[:8], 16) - 2**31
