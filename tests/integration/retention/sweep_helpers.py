"""Shared set-up for the sweeper tests: conversations made through the conversations service."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, text

from tillit.conversations import service as conversations
from tillit.core.clock import FixedClock
from tillit.retention import sweeper
from tillit.retention.sweep_schemas import SweepResult
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service


def customer(rt: Runtime) -> str:
    with rt.uow.begin() as session:
        return subjects_service.create_subject(
            session,
            kind="customer",
            language="nb",
            display_name="Test Kunde",
            clock=rt.clock,
            default_region="NO",
            secret=rt.settings.secret_key,
        ).id


def chat(
    rt: Runtime,
    at: datetime,
    *,
    subject_id: str | None = None,
    advisor: bool = False,
    complaint: bool = False,
    messages: int = 2,
    ip: str | None = None,
) -> str:
    """A chat opened at `at` and closed ten minutes later, optionally with an advisor or a complaint tag."""
    clock = FixedClock(at)
    policy = rt.policy
    with rt.uow.begin() as session:
        started = conversations.start(
            session,
            policy,
            language=policy.organisation.default_language,
            clock=clock,
            secret=rt.settings.secret_key,
            subject_id=subject_id,
            ip_address=ip,
        )
        cid = started.conversation.id
        for n in range(messages):
            conversations.add_message(
                session, policy, cid, author="customer", text=f"question {n}", clock=clock
            )
        if advisor:
            conversations.request_handoff(session, policy, cid, clock=clock)
            conversations.take(session, policy, cid, advisor_id="advisor-1", clock=clock)
        if complaint:
            conversations.set_tags(session, policy, cid, clock=clock, complaint=True)
        clock.advance(timedelta(minutes=10))
        conversations.close(session, policy, cid, clock=clock)
    return cid


def sweep(rt: Runtime, at: datetime, **kwargs: object) -> SweepResult:
    return sweeper.sweep(rt.uow, rt.engine, rt.policy, FixedClock(at), **kwargs)  # type: ignore[arg-type]


def exists(rt: Runtime, conversation_id: str) -> bool:
    with rt.uow.read() as session:
        try:
            conversations.get(session, conversation_id)
        except Exception:
            return False
        return True


def count(rt: Runtime, table: str) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(text(table))).scalar_one())
