"""Queries over campaigns, the outbox and the send log. Never commits; the service decides the
transaction. The audience query composes SELECTs handed over by consent and subjects (their services),
so the whole decision is one SQL statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, delete, func, literal, select, union_all, update
from sqlalchemy.orm import Session

from tillit.marketing.models import MarketingCampaign, MarketingOutbox, MarketingSendLog
from tillit.marketing.rules import NO_ADDRESS


def audience(
    reached: Select[str, str], unreached: Select[str, str], allowed: frozenset[str]
) -> Select[str, str]:
    """(subject_id, reason) per candidate: consent's decision over the candidates with an address on the
    channel, UNION ALL consent's decision over those without one, an allowed reason of which becomes
    `no_address`.

    Why two disjoint halves instead of one LEFT JOIN to "the subjects with an address": that set is a
    DISTINCT over the identities (950,000 e-mail addresses at 1M subjects), which PostgreSQL hashes once
    per worker and spills to disk (8-10 s). Each half here takes its candidates through an EXISTS
    semi-join (or NOT EXISTS anti-join) on `subject_identifier (kind, subject_id)`, one shared parallel
    hash each, and nothing is de-duplicated."""
    r = reached.subquery("reached")
    u = unreached.subquery("unreached")
    is_allowed: ColumnElement[bool] = u.c.reason.in_(sorted(allowed))
    both = union_all(
        select(r.c.subject_id.label("subject_id"), r.c.reason.label("reason")),
        select(
            u.c.subject_id.label("subject_id"),
            case((is_allowed, literal(NO_ADDRESS)), else_=u.c.reason).label("reason"),
        ),
    ).subquery("audience_rows")
    return select(both.c.subject_id.label("subject_id"), both.c.reason.label("reason"))


def reason_counts(session: Session, stmt: Select[str, str]) -> dict[str, int]:
    sub = stmt.subquery("audience")
    rows = session.execute(select(sub.c.reason, func.count()).group_by(sub.c.reason))
    return {str(reason): int(count) for reason, count in rows}


def sample(session: Session, stmt: Select[str, str], reason: str, limit: int) -> list[str]:
    sub = stmt.subquery("audience")
    found = session.execute(
        select(sub.c.subject_id).where(sub.c.reason == reason).order_by(sub.c.subject_id).limit(limit)
    )
    return [str(s) for s in found.scalars()]


def sorted_ids(session: Session, ids: Select[str]) -> list[str]:
    """The ids of a one-column SELECT (e.g. `service.reached_select`), sorted."""
    sub = ids.subquery("ids")
    column = next(iter(sub.c))
    return [str(s) for s in session.execute(select(column).order_by(column)).scalars()]


def campaigns(session: Session) -> Sequence[MarketingCampaign]:
    return session.scalars(
        select(MarketingCampaign).order_by(MarketingCampaign.created_at.desc(), MarketingCampaign.id)
    ).all()


def campaign(session: Session, campaign_id: str, *, for_update: bool = False) -> MarketingCampaign | None:
    stmt = select(MarketingCampaign).where(MarketingCampaign.id == campaign_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def due_outbox_ids(session: Session, now: datetime, limit: int) -> list[str]:
    stmt = (
        select(MarketingOutbox.id)
        .where(MarketingOutbox.status == "pending", MarketingOutbox.next_attempt_at <= now)
        .order_by(MarketingOutbox.next_attempt_at, MarketingOutbox.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def claim(session: Session, outbox_id: str) -> MarketingOutbox | None:
    """Take the outbox row for this transaction: an UPDATE first, so that on SQLite this transaction
    holds the write lock from here on (no withdrawal can commit under our feet) and on PostgreSQL the
    row is locked against a second dispatcher. None when it is no longer pending."""
    result = session.execute(
        update(MarketingOutbox)
        .where(MarketingOutbox.id == outbox_id, MarketingOutbox.status == "pending")
        .values(attempts=MarketingOutbox.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return None
    row = session.get(MarketingOutbox, outbox_id, populate_existing=True)
    return row


def outbox_counts(session: Session, campaign_id: str) -> dict[str, int]:
    rows = session.execute(
        select(MarketingOutbox.status, func.count())
        .where(MarketingOutbox.campaign_id == campaign_id)
        .group_by(MarketingOutbox.status)
    )
    return {str(status): int(count) for status, count in rows}


def outbox_of(session: Session, campaign_id: str) -> Sequence[MarketingOutbox]:
    return session.scalars(
        select(MarketingOutbox).where(MarketingOutbox.campaign_id == campaign_id).order_by(MarketingOutbox.id)
    ).all()


def send_log(
    session: Session, *, subject_id: str | None, campaign_id: str | None, limit: int
) -> Sequence[MarketingSendLog]:
    stmt = select(MarketingSendLog)
    if subject_id is not None:
        stmt = stmt.where(MarketingSendLog.subject_id == subject_id)
    if campaign_id is not None:
        stmt = stmt.where(MarketingSendLog.campaign_id == campaign_id)
    stmt = stmt.order_by(MarketingSendLog.sent_at.desc(), MarketingSendLog.id).limit(limit)
    return session.scalars(stmt).all()


def delete_send_log(session: Session, entry_ids: Sequence[str], *, chunk: int = 900) -> int:
    """Delete send-log entries by id, `chunk` ids per statement (SQLite's bound-parameter limit); rows."""
    deleted = 0
    ids = list(entry_ids)
    for start in range(0, len(ids), chunk):
        stmt = (
            delete(MarketingSendLog)
            .where(MarketingSendLog.id.in_(ids[start : start + chunk]))
            .execution_options(synchronize_session=False)
        )
        deleted += int(getattr(session.execute(stmt), "rowcount", 0) or 0)
    return deleted
