"""Queries over the ledger and the projection. Never commits; the service decides the transaction.

There is deliberately no function that updates a `consent_event` or `consent_notice_text` row: the
ledger only grows (tests assert this module and the service offer no such path; a database trigger
refuses it anyway). Projection rows (`consent_state`) are rewritten by the service through the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Select, and_, case, delete, exists, func, insert, literal, select
from sqlalchemy.orm import Session, aliased

from tillit.consent import rules
from tillit.consent.models import ALL_CHANNELS, ConsentEvent, ConsentNoticeText, ConsentState
from tillit.policy.schema import Purpose


def holder_clause(
    model: type[ConsentState] | type[ConsentEvent], subject_id: str | None, visitor_id: str | None
) -> ColumnElement[bool]:
    if subject_id is not None:
        return model.subject_id == subject_id
    return model.visitor_id == visitor_id


def add_event(session: Session, event: ConsentEvent) -> None:
    session.add(event)
    session.flush()


def store_notice_text(session: Session, sha256: str, text: str, now: datetime) -> None:
    """Insert the text once per hash; a text already stored (even by a concurrent transaction) is kept."""
    if session.get(ConsentNoticeText, sha256) is not None:
        return
    stmt = insert(ConsentNoticeText).values(sha256=sha256, text=text, created_at=now)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(ConsentNoticeText).values(sha256=sha256, text=text, created_at=now)
        stmt = stmt.on_conflict_do_nothing(index_elements=["sha256"])
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(ConsentNoticeText).values(sha256=sha256, text=text, created_at=now)
        stmt = stmt.on_conflict_do_nothing(index_elements=["sha256"])
    session.execute(stmt)


def notice_text(session: Session, sha256: str) -> str | None:
    row = session.get(ConsentNoticeText, sha256)
    return row.text if row is not None else None


def get_event(session: Session, event_id: str) -> ConsentEvent | None:
    return session.get(ConsentEvent, event_id)


def events_of(
    session: Session, *, subject_id: str | None, visitor_id: str | None, limit: int
) -> Sequence[ConsentEvent]:
    """The holder's events, newest first."""
    stmt = (
        select(ConsentEvent)
        .where(holder_clause(ConsentEvent, subject_id, visitor_id))
        .order_by(ConsentEvent.occurred_at.desc(), ConsentEvent.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def states_of(
    session: Session,
    *,
    subject_id: str | None,
    visitor_id: str | None,
    purpose: str | None = None,
    scope: str | None = None,
    for_update: bool = False,
) -> Sequence[ConsentState]:
    """The holder's projection rows (of one purpose and scope when given), ordered by purpose, channel."""
    stmt = select(ConsentState).where(holder_clause(ConsentState, subject_id, visitor_id))
    if purpose is not None:
        stmt = stmt.where(ConsentState.purpose == purpose)
    if scope is not None:
        stmt = stmt.where(ConsentState.scope == scope)
    stmt = stmt.order_by(ConsentState.purpose, ConsentState.channel, ConsentState.scope)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).all()


def decision_rows(
    session: Session, subject_id: str, purpose: str, channel: str | None, restricted: Select[str]
) -> tuple[bool, str | None, str | None]:
    """(restricted, the channel's own state, the all-channels state) in ONE indexed query.

    A one-row derived table LEFT JOINs the subject's rows for the purpose (a range scan of
    `uq_consent_state_subject_key` on subject_id, purpose, channel IN (C, '*')), with the restriction as
    an EXISTS probe of the subject's primary key; so "no rows" still yields one row with the restriction.
    """
    channels = [ALL_CHANNELS] if channel is None else [channel, ALL_CHANNELS]
    restricted_sub = restricted.subquery()
    one = select(literal(1).label("one")).subquery()
    stmt = (
        select(
            exists().where(restricted_sub.c.subject_id == subject_id).label("restricted"),
            ConsentState.channel,
            ConsentState.state,
        )
        .select_from(one)
        .outerjoin(
            ConsentState,
            and_(
                ConsentState.subject_id == subject_id,
                ConsentState.purpose == purpose,
                ConsentState.channel.in_(channels),
                ConsentState.scope == "",
            ),
        )
    )
    is_restricted = False
    own: str | None = None
    general: str | None = None
    for row in session.execute(stmt):
        is_restricted = bool(row.restricted)
        if row.channel == ALL_CHANNELS:
            general = row.state
        elif row.channel is not None:
            own = row.state
    return is_restricted, own, general


def audience_select(
    purpose: Purpose,
    channel: str | None,
    candidates: Select[str] | None,
    restricted: Select[str],
) -> Select[str, str]:
    """A SELECT of (subject_id, reason) for every candidate, the reason computed in SQL exactly as
    `rules.decide` does (an integration test compares the two on every state).

    Candidates: any SELECT whose first column is a subject id (a marketing segment); None means every
    subject with a projection row for the purpose, which is only the whole audience for consent purposes
    (legitimate-interest purposes reach people who never made a choice, so the caller must pass them).
    Each candidate is LEFT JOINed to its own-channel row, its all-channels row and the restricted set:
    three hash or index joins, no correlated subquery per subject.
    """
    if candidates is None:
        if purpose.legal_basis != "consent":
            raise ValueError(
                f"purpose '{purpose.id}' is not consent-based: pass the candidate subjects (e.g. a segment)"
            )
        candidates = cast(
            "Select[str]",
            select(ConsentState.subject_id)
            .where(ConsentState.purpose == purpose.id, ConsentState.subject_id.is_not(None))
            .where(ConsentState.scope == "")
            .distinct(),
        )
    cand = candidates.subquery("candidates")
    subject_col = next(iter(cand.c))
    own = aliased(ConsentState, name="own_state")
    general = aliased(ConsentState, name="all_state")
    blocked = restricted.subquery("restricted_subjects")

    def _join(alias: type[ConsentState], chan: str) -> ColumnElement[bool]:
        return and_(
            alias.subject_id == subject_col,
            alias.purpose == purpose.id,
            alias.channel == chan,
            alias.scope == "",
        )

    stmt = select(subject_col.label("subject_id")).select_from(cand)
    restricted_case = (blocked.c.subject_id.is_not(None), literal(rules.RESTRICTED))
    if channel is not None and channel not in purpose.channels:
        stmt = stmt.outerjoin(blocked, blocked.c.subject_id == subject_col)
        return stmt.add_columns(
            case(restricted_case, else_=literal(rules.CHANNEL_NOT_DECLARED)).label("reason")
        )
    state: ColumnElement[str]
    if channel is not None:
        stmt = stmt.outerjoin(own, _join(own, channel))
        state = func.coalesce(own.state, general.state)
    else:
        state = general.state.expression
    stmt = stmt.outerjoin(general, _join(general, ALL_CHANNELS)).outerjoin(
        blocked, blocked.c.subject_id == subject_col
    )
    reason: ColumnElement[str]
    if purpose.legal_basis == "consent":
        reason = case(
            restricted_case,
            (state == "granted", literal(rules.GRANTED)),
            (state.is_(None), literal(rules.NO_CONSENT)),
            else_=literal(rules.WITHDRAWN),
        )
    elif purpose.legal_basis == "legitimate_interests":
        reason = case(
            restricted_case,
            (state == "objected", literal(rules.OBJECTED)),
            (state == "opted_out", literal(rules.OPTED_OUT)),
            else_=literal(rules.LEGITIMATE_INTEREST),
        )
    else:
        reason = case(restricted_case, else_=literal(purpose.legal_basis))
    return stmt.add_columns(reason.label("reason"))


DENIED_REASONS: frozenset[str] = frozenset(
    {
        rules.RESTRICTED,
        rules.CHANNEL_NOT_DECLARED,
        rules.NO_CONSENT,
        rules.WITHDRAWN,
        rules.OPTED_OUT,
        rules.OBJECTED,
    }
)
"""Every reason `audience_select` can give that is not in `rules.ALLOWED_REASONS` (its other reasons are
`granted`, `legitimate_interest` and a purpose's own legal basis other than consent and legitimate
interests, all allowed)."""
assert not DENIED_REASONS & rules.ALLOWED_REASONS


def allowed_clause(reason: ColumnElement[str]) -> ColumnElement[bool]:
    """`reason` (of `audience_select`) is an allowed one, written as NOT IN the denied reasons.

    Same rows as `reason IN (allowed)`, since the CASE never yields anything else, but PostgreSQL has no
    statistics for the CASE and estimates an IN list over it at about 1 % of the rows, a NOT IN at about
    97 %: with the IN, a 1M-subject audience joined to anything more (a campaign's "has an address"
    semi-join) was planned as a million-row nested loop (10 s instead of 3 s, see docs/performance.md)."""
    return reason.not_in(sorted(DENIED_REASONS))


def erase_states(session: Session, state_ids: Sequence[str]) -> dict[str, int]:
    """Delete projection rows and the events that made them (retention's sweep of expired consent
    records). An event for all channels goes with the `*` row, a channel's own events with its row."""
    rows = session.scalars(select(ConsentState).where(ConsentState.id.in_(state_ids))).all()
    events = 0
    for row in rows:
        channel_clause = (
            ConsentEvent.channel.is_(None)
            if row.channel == ALL_CHANNELS
            else ConsentEvent.channel == row.channel
        )
        scope_clause = ConsentEvent.scope.is_(None) if row.scope == "" else ConsentEvent.scope == row.scope
        result = session.execute(
            delete(ConsentEvent).where(
                holder_clause(ConsentEvent, row.subject_id, row.visitor_id),
                ConsentEvent.purpose == row.purpose,
                channel_clause,
                scope_clause,
            )
        )
        events += int(getattr(result, "rowcount", 0) or 0)
        session.delete(row)
    session.flush()
    return {"consent_state": len(rows), "consent_event": events}
