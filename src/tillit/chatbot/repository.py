"""Queries on the chatbot's tables (never commits; the service's caller owns the transaction)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import cast

from sqlalchemy import Executable, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tillit.chatbot.models import ChatbotSample, ChatbotStat


def add_sample(
    session: Session, *, id: str, pack: str, text_masked: str, language: str, topic: str | None, at: datetime
) -> None:
    session.add(
        ChatbotSample(
            id=id, pack=pack, text_masked=text_masked, language=language, topic=topic, created_at=at
        )
    )
    session.flush()


def bump_stat(
    session: Session, *, day: date, pack: str, language: str, topic: str, answered: int, handoffs: int
) -> None:
    """Add one question to the counters of (day, pack, language, topic) in one atomic statement.

    `INSERT ... ON CONFLICT DO UPDATE` is spelled the same by SQLite (3.24+) and PostgreSQL, so two
    replicas counting the same topic at once cannot lose an increment or fail on the primary key. The
    statement is built once per dialect and run with the values as parameters: every chat turn runs it.
    """
    values = {"day": day, "pack": pack, "language": language, "topic": topic}
    session.execute(
        _bump_statement(session.get_bind().dialect.name),
        {**values, "answered": answered, "handoffs": handoffs},
    )


@cache
def _bump_statement(dialect: str) -> Executable:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, ChatbotStat.__table__)
    statement = insert(table).values(
        day=bindparam("day"),
        pack=bindparam("pack"),
        language=bindparam("language"),
        topic=bindparam("topic"),
        questions=1,
        answered=bindparam("answered"),
        handoffs=bindparam("handoffs"),
    )
    return statement.on_conflict_do_update(
        index_elements=["day", "pack", "language", "topic"],
        set_={
            "questions": table.c.questions + 1,
            "answered": table.c.answered + statement.excluded.answered,
            "handoffs": table.c.handoffs + statement.excluded.handoffs,
        },
    )


def samples(session: Session, *, pack: str | None = None, limit: int = 100) -> list[ChatbotSample]:
    query = select(ChatbotSample).order_by(ChatbotSample.created_at.desc(), ChatbotSample.id).limit(limit)
    if pack is not None:
        query = query.where(ChatbotSample.pack == pack)
    return list(session.scalars(query))


def stats(session: Session, *, pack: str | None = None, since: date | None = None) -> list[ChatbotStat]:
    query = select(ChatbotStat).order_by(ChatbotStat.day, ChatbotStat.language, ChatbotStat.topic)
    if pack is not None:
        query = query.where(ChatbotStat.pack == pack)
    if since is not None:
        query = query.where(ChatbotStat.day >= since)
    return list(session.scalars(query))
