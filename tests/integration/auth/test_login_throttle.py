"""The login throttle against a real database (SQLite and PostgreSQL): counting, lockout, refusal with the
right password, clearing on success, the per-client limit, pruning, hashes only, and the audit rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.auth import rules, service, throttle
from tillit.auth.errors import InvalidCredentialsError, LoginThrottledError
from tillit.auth.schemas import StaffCreate, StaffLogin
from tillit.core.clock import FixedClock
from tillit.runtime import Runtime

PASSWORD = "a long enough passphrase"
WRONG = "not the password at all"
HOME = "198.51.100.23"
LIMITS = rules.LoginLimits(
    max_failures_per_username=3,
    max_failures_per_client=6,
    window=timedelta(minutes=15),
    lockout=timedelta(minutes=10),
)


def _add(runtime: Runtime, username: str) -> str:
    with runtime.uow.begin() as session:
        staff = service.add_staff(
            session,
            StaffCreate(
                username=username, display_name=username.title(), password=PASSWORD, roles=["advisor"]
            ),
            runtime.clock,
        )
    return staff.id


def _log_in(runtime: Runtime, username: str, password: str, client: str | None = HOME) -> StaffLogin:
    return service.log_in(
        runtime.uow,
        username,
        password,
        client_host=client,
        secret=runtime.settings.secret_key,
        limits=LIMITS,
        clock=runtime.clock,
    )


def _fail(runtime: Runtime, username: str, times: int, client: str | None = HOME) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentialsError):
            _log_in(runtime, username, WRONG, client)


def _scalar(runtime: Runtime, sql: str, **params: object) -> object:
    with runtime.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _audit(runtime: Runtime, action: str) -> list[dict[str, object]]:
    with runtime.uow.read() as session:
        return [e.model_dump() for e in audit_service.tail(session, 100) if e.action == action]


def test_the_limit_locks_the_username_even_for_the_right_password(
    runtime: Runtime, clock: FixedClock
) -> None:
    staff_id = _add(runtime, "kari")
    _fail(runtime, "kari", 2)
    with pytest.raises(LoginThrottledError) as locking:
        _log_in(runtime, "kari", WRONG)  # the third failure locks at once
    assert locking.value.retry_after_s == 600
    assert locking.value.http_status == 429

    clock.advance(timedelta(minutes=4))
    with pytest.raises(LoginThrottledError) as refused:
        _log_in(runtime, "kari", PASSWORD)
    assert refused.value.retry_after_s == 360
    assert refused.value.message == locking.value.message

    clock.advance(timedelta(minutes=6))
    login = _log_in(runtime, "kari", PASSWORD)
    assert login.staff.id == staff_id
    with runtime.uow.read() as session:
        assert service.resolve_session(session, login.session_token, clock).id == staff_id


def test_refused_attempts_neither_count_nor_extend_the_lock(runtime: Runtime, clock: FixedClock) -> None:
    _add(runtime, "kari")
    _fail(runtime, "kari", 2)
    with pytest.raises(LoginThrottledError):
        _log_in(runtime, "kari", WRONG)
    for _ in range(5):
        clock.advance(timedelta(minutes=1))
        with pytest.raises(LoginThrottledError):
            _log_in(runtime, "kari", WRONG)
    assert _scalar(runtime, "select count(*) from auth_login_failure") == 3
    clock.advance(timedelta(minutes=5))  # ten minutes after the third failure, as if nothing had been tried
    assert _log_in(runtime, "kari", PASSWORD).staff.username == "kari"


def test_a_successful_login_clears_the_usernames_failures_only(runtime: Runtime, clock: FixedClock) -> None:
    _add(runtime, "kari")
    _fail(runtime, "kari", 2)
    _fail(runtime, "ola", 2)
    _log_in(runtime, "kari", PASSWORD)
    assert _scalar(runtime, "select count(*) from auth_login_failure") == 2
    _fail(runtime, "kari", 2)  # a fresh budget: two more failures do not lock
    assert _log_in(runtime, "kari", PASSWORD).staff.username == "kari"
    with pytest.raises(LoginThrottledError):
        _log_in(runtime, "ola", WRONG)  # ola's two failures were kept


def test_unknown_usernames_are_counted_and_refused_alike(runtime: Runtime) -> None:
    _add(runtime, "kari")
    outcomes = {}
    for username in ("kari", "nobody"):
        _fail(runtime, username, 2, client=None)
        with pytest.raises(LoginThrottledError) as locking:
            _log_in(runtime, username, WRONG, client=None)
        with pytest.raises(LoginThrottledError) as refused:
            _log_in(runtime, username, PASSWORD, client=None)
        outcomes[username] = (
            locking.value.code,
            locking.value.message,
            locking.value.retry_after_s,
            refused.value.message,
        )
    assert outcomes["kari"] == outcomes["nobody"]


def test_one_client_cannot_spray_many_usernames(runtime: Runtime) -> None:
    _add(runtime, "kari")
    for username in ("a1", "a2", "a3"):
        _fail(runtime, username, 1 if username == "a3" else 2)  # never three for one username
    with pytest.raises(LoginThrottledError):
        _log_in(runtime, "a3", WRONG)  # the client's sixth failure locks the client
    with pytest.raises(LoginThrottledError):
        _log_in(runtime, "kari", PASSWORD)  # out, for every username
    assert _log_in(runtime, "kari", PASSWORD, client="203.0.113.9").staff.username == "kari"
    with pytest.raises(LoginThrottledError):  # an IPv4-mapped spelling is the same client
        _log_in(runtime, "kari", PASSWORD, client=f"::ffff:{HOME}")


def test_spellings_of_a_username_share_one_count(runtime: Runtime) -> None:
    _add(runtime, "kari")
    _fail(runtime, "Kari", 1)
    _fail(runtime, " KARI", 1, client="203.0.113.9")
    with pytest.raises(LoginThrottledError):
        _log_in(runtime, "kari", WRONG, client="192.0.2.44")


def test_only_keyed_hashes_are_stored(runtime: Runtime) -> None:
    _fail(runtime, "someone typed a password here", 1)
    with runtime.engine.connect() as conn:
        row = conn.execute(text("select * from auth_login_failure")).mappings().one()
    stored = " ".join(str(value) for value in row.values())
    assert "password here" not in stored
    assert HOME not in stored
    assert len(row["username_hash"]) == len(row["client_hash"]) == 64
    # keyed: another deployment's secret gives other hashes for the same name and address
    ours = throttle.keys_for(runtime.settings.secret_key, "someone typed a password here", HOME)
    theirs = throttle.keys_for("another-deployment-secret-0123", "someone typed a password here", HOME)
    assert (row["username_hash"], row["client_hash"]) == (ours.username_hash, ours.client_hash)
    assert ours.username_hash != theirs.username_hash and ours.client_hash != theirs.client_hash


def test_failures_older_than_window_plus_lockout_are_pruned_on_the_next_write(
    runtime: Runtime, clock: FixedClock
) -> None:
    _fail(runtime, "ola", 2)
    _fail(runtime, "per", 1, client="203.0.113.9")
    clock.advance(LIMITS.window + LIMITS.lockout)
    _fail(runtime, "siri", 1, client="192.0.2.44")
    assert _scalar(runtime, "select count(*) from auth_login_failure") == 4  # exactly at the horizon: kept
    clock.advance(timedelta(seconds=1))
    _fail(runtime, "siri", 1, client="192.0.2.44")
    assert _scalar(runtime, "select count(*) from auth_login_failure") == 2  # only siri's two are left


def test_lockouts_and_refusals_are_audited_without_the_username(runtime: Runtime, clock: FixedClock) -> None:
    staff_id = _add(runtime, "kari")
    _fail(runtime, "kari", 2)
    assert _audit(runtime, "auth.login_locked") == []
    with pytest.raises(LoginThrottledError):
        _log_in(runtime, "kari", WRONG)
    clock.advance(timedelta(minutes=1))
    for password in (PASSWORD, WRONG):
        with pytest.raises(LoginThrottledError):
            _log_in(runtime, "kari", password)
    _fail(runtime, "nobody", 2, client=None)
    with pytest.raises(LoginThrottledError):
        _log_in(runtime, "nobody", WRONG, client=None)

    locked = _audit(runtime, "auth.login_locked")
    refused = _audit(runtime, "auth.login_throttled")
    assert len(locked) == 2 and len(refused) == 2
    kari_locked, nobody_locked = locked
    assert (kari_locked["record_type"], kari_locked["record_id"]) == ("staff_account", staff_id)
    assert (nobody_locked["record_type"], nobody_locked["record_id"]) == (None, None)
    assert kari_locked["actor_type"] == "system"
    detail = kari_locked["detail"]
    assert isinstance(detail, dict)
    assert detail["scopes"] == ["username"]
    assert (detail["username_failures"], detail["client_failures"]) == (3, 3)
    assert (detail["max_failures_per_username"], detail["window_s"], detail["lockout_s"]) == (3, 900, 600)
    assert detail["locked_until"] == (clock.now() - timedelta(minutes=1) + LIMITS.lockout).isoformat()
    assert [r["detail"]["retry_after_s"] for r in refused] == [540, 540]
    assert {r["record_id"] for r in refused} == {staff_id}
    everything = str(locked + refused)
    assert "kari" not in everything and "nobody" not in everything and HOME not in everything
    with runtime.uow.read() as session:
        assert audit_service.verify(session).ok


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_attempts_on_one_username_or_from_one_client_take_turns_on_postgresql(runtime: Runtime) -> None:
    """While one login holds its keys, another on the same username (any spelling) or from the same
    client waits (here: gives up after lock_timeout, as the holder never finishes); others go ahead. So
    the check and the write of a failure cannot interleave across processes."""
    secret = runtime.settings.secret_key
    cases = [
        (throttle.keys_for(secret, "KARI ", "203.0.113.9"), True),  # same username
        (throttle.keys_for(secret, "ola", HOME), True),  # same client
        (throttle.keys_for(secret, "ola", "203.0.113.9"), False),
    ]
    with runtime.uow.begin() as holder:
        throttle.take_turn(holder, throttle.keys_for(secret, "kari", HOME))
        for keys, waits in cases:
            with runtime.engine.connect() as other:
                transaction = other.begin()
                try:
                    other.execute(text("SET LOCAL lock_timeout = '200ms'"))
                    if waits:
                        with pytest.raises(OperationalError, match="lock timeout"):
                            throttle.take_turn(Session(bind=other), keys)
                    else:
                        throttle.take_turn(Session(bind=other), keys)
                finally:
                    transaction.rollback()


def test_an_operator_can_lift_a_username_lock_early_and_it_is_audited(runtime: Runtime) -> None:
    staff_id = _add(runtime, "kari")
    _fail(runtime, "kari", 2)
    with pytest.raises(LoginThrottledError):
        _log_in(runtime, "kari", WRONG)
    with runtime.uow.begin() as session:
        cleared = service.unlock_login(
            session, "kari", operator="eva", secret=runtime.settings.secret_key, clock=runtime.clock
        )
    assert cleared == 3
    assert _log_in(runtime, "kari", PASSWORD).staff.id == staff_id
    (unlocked,) = _audit(runtime, "auth.login_unlocked")
    assert (unlocked["actor_type"], unlocked["actor_id"], unlocked["record_id"]) == ("staff", "eva", staff_id)
    assert unlocked["detail"] == {
        "username_hash": throttle.keys_for(runtime.settings.secret_key, "kari", None).username_hash,
        "failures_cleared": 3,
    }
