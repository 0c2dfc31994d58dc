"""`tillit staff unlock` through the real entry point: lifts a login lockout before its time, audited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import T0, TEST_SECRET
from tests.e2e.cli.cli_run import run_tillit
from tillit.audit import service as audit_service
from tillit.auth import rules, service
from tillit.auth.errors import InvalidCredentialsError, LoginThrottledError
from tillit.auth.schemas import StaffCreate
from tillit.core.clock import FixedClock
from tillit.db import migrate
from tillit.db.session import UnitOfWork, make_engine, make_session_factory

PASSWORD = "a long enough passphrase"
LIMITS = rules.LoginLimits(2, 20, timedelta(minutes=15), timedelta(minutes=15))


def test_unlock_lifts_the_lockout_and_is_audited(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tillit.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    clock = FixedClock(T0)

    def log_in(password: str) -> str:
        login = service.log_in(
            uow, "kari", password, client_host="198.51.100.7", secret=TEST_SECRET, limits=LIMITS, clock=clock
        )
        return login.staff.username

    with uow.begin() as session:
        service.add_staff(
            session,
            StaffCreate(username="kari", display_name="Kari", password=PASSWORD, roles=["dpo"]),
            clock,
        )
    with pytest.raises(InvalidCredentialsError):
        log_in("wrong password one")
    with pytest.raises(LoginThrottledError):
        log_in("wrong password two")

    assert run_tillit(["staff", "unlock", "kari"], url).returncode == 2  # who vouches is required
    done = run_tillit(["staff", "unlock", "kari", "--operator", "eva"], url)
    assert done.returncode == 0, done.stderr
    assert "unlocked kari (2 recent failed logins forgotten)" in done.stdout
    assert log_in(PASSWORD) == "kari"
    with uow.read() as session:
        actions = [(e.action, e.actor_id) for e in audit_service.tail(session, 10)]
    assert actions[-1] == ("auth.login_unlocked", "eva")
    engine.dispose()
