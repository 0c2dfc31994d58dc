"""Staff accounts, logins and sessions against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from tillit.auth import service
from tillit.auth.errors import InvalidCredentialsError, SessionExpiredError, WeakPasswordError
from tillit.auth.schemas import StaffCreate
from tillit.core.clock import FixedClock
from tillit.core.errors import ConflictError, ValidationFailedError
from tillit.runtime import Runtime

PASSWORD = "a long enough passphrase"


def _add(runtime: Runtime, username: str = "kari", roles: list[str] | None = None) -> str:
    with runtime.uow.begin() as session:
        staff = service.add_staff(
            session,
            StaffCreate(
                username=username, display_name="Kari Nordmann", password=PASSWORD, roles=roles or ["advisor"]
            ),
            runtime.clock,
        )
    return staff.id


def test_password_is_stored_as_argon2_hash(runtime: Runtime) -> None:
    _add(runtime)
    with runtime.engine.connect() as conn:
        stored = conn.execute(text("select password_hash from auth_staff")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_login_session_and_logout(runtime: Runtime, clock: FixedClock) -> None:
    staff_id = _add(runtime, roles=["advisor", "supervisor"])
    with runtime.uow.begin() as session:
        staff = service.authenticate(session, "kari", PASSWORD, clock)
        token = service.start_session(session, kind="staff", principal_id=staff.id, clock=clock)
    with runtime.engine.connect() as conn:
        assert token not in str(conn.execute(text("select * from auth_session")).all())
    with runtime.uow.read() as session:
        principal = service.resolve_session(session, token, clock)
    assert (principal.kind, principal.id, principal.roles) == ("staff", staff_id, ["advisor", "supervisor"])
    assert service.has_permission(principal, "conversation.read_all")

    with runtime.uow.begin() as session:
        service.end_session(session, token, clock)
    with runtime.uow.read() as session, pytest.raises(SessionExpiredError):
        service.resolve_session(session, token, clock)


def test_session_expires(runtime: Runtime, clock: FixedClock) -> None:
    staff_id = _add(runtime)
    with runtime.uow.begin() as session:
        token = service.start_session(session, kind="staff", principal_id=staff_id, clock=clock)
    clock.advance(service.STAFF_SESSION_TTL + timedelta(seconds=1))
    with runtime.uow.read() as session, pytest.raises(SessionExpiredError, match="expired"):
        service.resolve_session(session, token, clock)


def test_deactivated_account_loses_its_sessions(runtime: Runtime, clock: FixedClock) -> None:
    staff_id = _add(runtime)
    with runtime.uow.begin() as session:
        token = service.start_session(session, kind="staff", principal_id=staff_id, clock=clock)
        service.set_active(session, "kari", False)
    with runtime.uow.read() as session, pytest.raises(SessionExpiredError):
        service.resolve_session(session, token, clock)
    with runtime.uow.begin() as session, pytest.raises(InvalidCredentialsError):
        service.authenticate(session, "kari", PASSWORD, clock)


def test_wrong_password_and_unknown_user_look_the_same(runtime: Runtime, clock: FixedClock) -> None:
    _add(runtime)
    with runtime.uow.begin() as session:
        with pytest.raises(InvalidCredentialsError) as wrong:
            service.authenticate(session, "kari", "not the password at all", clock)
        with pytest.raises(InvalidCredentialsError) as unknown:
            service.authenticate(session, "nobody", PASSWORD, clock)
    assert wrong.value.message == unknown.value.message


def test_bad_accounts_are_refused_and_nothing_is_written(runtime: Runtime) -> None:
    _add(runtime)
    with pytest.raises(ConflictError):
        _add(runtime)
    with pytest.raises(ValidationFailedError, match="unknown role"):
        _add(runtime, username="ola", roles=["wizard"])
    with runtime.uow.begin() as session, pytest.raises(WeakPasswordError):
        service.add_staff(
            session,
            StaffCreate(username="per", display_name="Per", password="short", roles=["dpo"]),
            runtime.clock,
        )
    with runtime.engine.connect() as conn:
        assert conn.execute(text("select count(*) from auth_staff")).scalar_one() == 1


def test_csrf_token_is_bound_to_the_session() -> None:
    token = service.csrf_token("secret-secret-secret", "session-a")
    assert service.csrf_valid("secret-secret-secret", "session-a", token)
    assert not service.csrf_valid("secret-secret-secret", "session-b", token)
    assert not service.csrf_valid("secret-secret-secret", "session-a", None)
