"""Queries for conversations. Never commits."""

from __future__ import annotations

import weakref
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, any_, delete, func, or_, select
from sqlalchemy.orm import Session

from tillit.conversations.models import Conversation, ConversationIp, Feedback, HandoffContact, Message
from tillit.db.base import Base
from tillit.db.keys import key_array

_IN_TRANSACTION = "tillit.conversations.in_transaction"


class _Seen:
    """Conversations this transaction has read (kept referenced: the session's identity map holds objects
    weakly, so a conversation read six times in one turn would otherwise be loaded six times) and those
    whose row it has locked."""

    def __init__(self) -> None:
        self.read: dict[str, Conversation] = {}
        self.locked: set[str] = set()


def _seen(session: Session) -> _Seen:
    transaction = session.get_transaction()
    if transaction is None:
        return _Seen()
    by_transaction: weakref.WeakKeyDictionary[Any, _Seen] = session.info.setdefault(
        _IN_TRANSACTION, weakref.WeakKeyDictionary()
    )
    return by_transaction.setdefault(transaction, _Seen())


def get(session: Session, conversation_id: str, *, for_update: bool = False) -> Conversation | None:
    """The conversation; `for_update` locks its row for the rest of the transaction.

    A chat turn asks for the same conversation five or six times; only the first read and the first lock
    of a transaction go to the database (the lock re-reads the row, so what the caller sees is what it
    locked), the others come from the session's identity map."""
    seen = _seen(session)
    if not for_update or conversation_id in seen.locked:
        conversation = session.get(Conversation, conversation_id)
    else:
        query = (
            select(Conversation)
            .where(Conversation.id == conversation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        conversation = session.scalars(query).first()
        if conversation is not None:
            seen.locked.add(conversation_id)
    if conversation is not None:
        seen.read[conversation_id] = conversation
    return conversation


def messages(session: Session, conversation_id: str, after_seq: int = 0) -> Sequence[Message]:
    return session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
        .order_by(Message.seq)
    ).all()


def latest_seq(session: Session, conversation_id: str) -> int:
    value = session.scalar(select(func.max(Message.seq)).where(Message.conversation_id == conversation_id))
    return int(value or 0)


def queued(session: Session) -> Sequence[Conversation]:
    return session.scalars(
        select(Conversation)
        .where(Conversation.status == "queued")
        .order_by(Conversation.queued_at, Conversation.id)
    ).all()


def queue_position(session: Session, queued_at: datetime, conversation_id: str) -> int:
    ahead = session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.status == "queued",
            or_(
                Conversation.queued_at < queued_at,
                and_(Conversation.queued_at == queued_at, Conversation.id < conversation_id),
            ),
        )
    )
    return int(ahead or 0) + 1


def for_staff(
    session: Session,
    readable: Sequence[Select[str]],
    *,
    advisor_id: str | None,
    statuses: Collection[str],
    limit: int,
) -> Sequence[Conversation]:
    """Conversations whose id is in any of the `readable` id subqueries, newest activity first."""
    if not readable:
        return []
    query = select(Conversation).where(
        or_(*(Conversation.id.in_(ids) for ids in readable)), Conversation.status.in_(list(statuses))
    )
    if advisor_id is not None:
        query = query.where(Conversation.advisor_id == advisor_id)
    return session.scalars(query.order_by(Conversation.last_message_at.desc()).limit(limit)).all()


def parts_present(session: Session, conversation_id: str) -> tuple[bool, bool, bool]:
    """Whether the conversation has an IP address, handoff contact details and feedback: one round trip
    instead of three (holds are recomputed for each part on every message)."""
    row = session.execute(
        select(
            select(ConversationIp.conversation_id)
            .where(ConversationIp.conversation_id == conversation_id)
            .exists(),
            select(HandoffContact.conversation_id)
            .where(HandoffContact.conversation_id == conversation_id)
            .exists(),
            select(Feedback.conversation_id).where(Feedback.conversation_id == conversation_id).exists(),
        )
    ).one()
    return bool(row[0]), bool(row[1]), bool(row[2])


def has_ip(session: Session, conversation_id: str) -> bool:
    return session.get(ConversationIp, conversation_id) is not None


def handoff_contact(session: Session, conversation_id: str) -> HandoffContact | None:
    return session.get(HandoffContact, conversation_id)


def feedback(session: Session, conversation_id: str) -> Feedback | None:
    return session.get(Feedback, conversation_id)


def delete_conversation(session: Session, conversation_id: str) -> None:
    """Delete a conversation and everything that hangs off it, children first (also without FK cascade)."""
    for model in (Message, ConversationIp, HandoffContact, Feedback):
        session.execute(delete(model).where(model.conversation_id == conversation_id))
    session.execute(delete(Conversation).where(Conversation.id == conversation_id))


def delete_conversations(session: Session, conversation_ids: Sequence[str]) -> dict[str, int]:
    """Set-based `delete_conversation` for many at once (the retention sweeper's batches), children first;
    returns rows deleted per table.

    One statement per table; the conversations' ON DELETE CASCADE triggers then find no children left.
    (One statement for all five, data-modifying CTEs counting their RETURNING rows, was measured slower
    on PostgreSQL: see docs/performance.md, "Retention sweep".)"""
    counts: dict[str, int] = {}
    for model in _CHILDREN:
        counts[model.__tablename__] = _delete(session, model, model.conversation_id, conversation_ids)
    counts[Conversation.__tablename__] = _delete(session, Conversation, Conversation.id, conversation_ids)
    return counts


_CHILDREN: tuple[type[Message] | type[ConversationIp] | type[HandoffContact] | type[Feedback], ...] = (
    Message,
    ConversationIp,
    HandoffContact,
    Feedback,
)
"""Tables hanging off a conversation (ON DELETE CASCADE), deleted before it and counted apart."""


def delete_parts(session: Session, model_name: str, conversation_ids: Sequence[str]) -> dict[str, int]:
    """Delete one kind of record hanging off conversations (IP address, handoff contact, feedback)."""
    models: dict[str, type[ConversationIp] | type[HandoffContact] | type[Feedback]] = {
        "conversation_ip": ConversationIp,
        "handoff_contact": HandoffContact,
        "feedback": Feedback,
    }
    model = models[model_name]
    return {model.__tablename__: _delete(session, model, model.conversation_id, conversation_ids)}


def _delete(session: Session, model: type[Base], column: Any, ids: Sequence[str]) -> int:
    """DELETE ... WHERE column IN ids. On PostgreSQL one parameter (`= ANY(:ids)`, see `db.keys`) instead
    of one parameter per id: with hundreds of ids the driver's per-parameter query rewriting costs more
    than the delete itself. No ORM session synchronisation: nothing deleted here is loaded."""
    if session.get_bind().dialect.name == "postgresql":
        condition = column == any_(key_array(ids))
    else:
        condition = column.in_(list(ids))
    stmt = delete(model).where(condition).execution_options(synchronize_session=False)
    return int(getattr(session.execute(stmt), "rowcount", 0) or 0)


def page_after(session: Session, after: str | None, limit: int) -> Sequence[Conversation]:
    """Conversations in id order after `after` (keyset pagination for recomputing holds in batches)."""
    query = select(Conversation).order_by(Conversation.id).limit(limit)
    if after is not None:
        query = query.where(Conversation.id > after)
    return session.scalars(query).all()


def of_subject(session: Session, subject_id: str) -> Sequence[Conversation]:
    """Every conversation linked to the subject, oldest first (rights requests)."""
    return session.scalars(
        select(Conversation)
        .where(Conversation.subject_id == subject_id)
        .order_by(Conversation.created_at, Conversation.id)
    ).all()


def messages_of_subject(session: Session, subject_id: str) -> Sequence[Message]:
    """Every message of the subject's conversations in one query, by conversation and seq."""
    ids = select(Conversation.id).where(Conversation.subject_id == subject_id)
    return session.scalars(
        select(Message).where(Message.conversation_id.in_(ids)).order_by(Message.conversation_id, Message.seq)
    ).all()


def parts_of_subject(
    session: Session, subject_id: str
) -> tuple[Sequence[ConversationIp], Sequence[HandoffContact], Sequence[Feedback]]:
    """The IP addresses, handoff contacts and feedback of the subject's conversations (one query each)."""
    ids = select(Conversation.id).where(Conversation.subject_id == subject_id)
    return (
        session.scalars(select(ConversationIp).where(ConversationIp.conversation_id.in_(ids))).all(),
        session.scalars(select(HandoffContact).where(HandoffContact.conversation_id.in_(ids))).all(),
        session.scalars(select(Feedback).where(Feedback.conversation_id.in_(ids))).all(),
    )
