"""`tillit audit verify|tail` through the real entry point, against a SQLite file tampered with SQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import T0
from tests.e2e.cli.cli_run import run_tillit
from tillit.audit import service as audit_service
from tillit.core.clock import FixedClock
from tillit.db import migrate
from tillit.db.session import UnitOfWork, make_engine, make_session_factory


def _seed(url: str, n: int) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    with uow.begin() as session:
        for i in range(n):
            audit_service.record(
                session,
                actor_type="staff",
                actor_id="advisor-1",
                action="subject.read",
                purpose="customer_service",
                subject_id=f"subject-{i}",
                detail={"rows": 1},
                clock=FixedClock(T0),
            )
    engine.dispose()


def test_verify_ok_then_tampered(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tillit.sqlite3'}"
    _seed(url, 5)

    ok = run_tillit(["audit", "verify"], url)
    assert ok.returncode == 0, ok.stderr
    assert "OK: 5 audit events" in ok.stdout

    tail = run_tillit(["audit", "tail", "-n", "2"], url)
    assert tail.returncode == 0, tail.stderr
    lines = tail.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].split()[0] == "4" and "subject.read" in lines[0]

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("""UPDATE audit_event SET detail = '{"rows": 2}' WHERE seq = 2"""))
    engine.dispose()

    broken = run_tillit(["audit", "verify"], url)
    assert broken.returncode == 1
    assert "audit log broken at seq 2" in broken.stderr
    assert "changed after it was written" in broken.stderr


def test_verify_detects_deleted_tail(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tillit.sqlite3'}"
    _seed(url, 3)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 3"))
    engine.dispose()
    broken = run_tillit(["audit", "verify"], url)
    assert broken.returncode == 1
    assert "seq 3 missing at the end of the log" in broken.stderr
