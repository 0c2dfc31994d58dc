"""Consent use cases: record an event, ask whether a purpose may use a channel, mark a consent used.

Every function takes the caller's `session` and never commits (DESIGN §2): the event, its projection
rows, the holds on those consent records, the holds a withdrawal or objection ends, and (for staff) the
audit row land in one transaction. Marketing calls `may_use` for one subject, `allowed_subject_ids` /
`audience_select` to compute an audience in SQL, and `mark_used` at send time.

There is no update path for the ledger: `record_event` only inserts events; nothing here or in the
repository changes or deletes one (retention deletes consent records whose last hold ended).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.consent import repository, rules
from tillit.consent.models import ALL_CHANNELS, ConsentEvent, ConsentState
from tillit.consent.receipt import build_receipt
from tillit.consent.schemas import (
    ConsentEventCreate,
    ConsentEventRead,
    ConsentStateRead,
    CookieCategory,
    Decision,
    RecordResult,
)
from tillit.core.clock import Clock
from tillit.core.crypto import keyed_hash
from tillit.core.errors import NotFoundError, PurposeNotAllowedError, ValidationFailedError
from tillit.core.ids import new_id
from tillit.policy.schema import Policy
from tillit.retention import service as retention_service
from tillit.subjects import service as subjects_service

CONSENT_RECORD = "consent_record"

__all__ = [
    "CONSENT_RECORD",
    "allowed_subject_ids",
    "audience_select",
    "cookie_categories",
    "cookie_choice",
    "erase_records",
    "excluded_purposes",
    "get_event",
    "history",
    "mark_used",
    "may_use",
    "notice_text",
    "receipt",
    "record_event",
    "states",
]


def record_event(session: Session, policy: Policy, data: ConsentEventCreate, *, clock: Clock) -> RecordResult:
    """Append one event to the ledger and bring the projection, the holds and the audit log in line.

    Raises UnknownPurposeError for a purpose the policy does not have, ValidationFailedError for an
    action that makes no sense for the purpose's basis or channel, or a language the notice is not in.
    A withdrawal (once no channel stays granted) ends the purpose's holds on the subject's records with
    reason "withdrawal"; an objection with reason "objection". Consent records themselves are never
    ended that way: they are the proof, kept by their own purposes' rules (state, last_used_at,
    withdrawn_at), and a recompute never revives a hold a right ended.
    """
    purpose = policy.purpose(data.purpose)
    rules.check_action(purpose, data.action, data.channel)
    language = data.language or policy.organisation.default_language
    if language not in policy.languages:
        raise ValidationFailedError(
            f"the notice is not available in '{language}' (languages: {', '.join(policy.languages)})",
            details={"language": language},
        )
    now = clock.now()
    text = data.notice_text or rules.default_notice_text(purpose, language)
    sha = rules.notice_sha256(text)
    repository.store_notice_text(session, sha, text, now)
    event = ConsentEvent(
        id=new_id(),
        subject_id=data.subject_id,
        visitor_id=data.visitor_id,
        purpose=purpose.id,
        channel=data.channel,
        scope=data.scope,
        action=data.action,
        source=data.source,
        policy_version=policy.version,
        notice_text_sha256=sha,
        language=language,
        actor_type=data.actor_type,
        actor_id=data.actor_id,
        occurred_at=now,
    )
    repository.add_event(session, event)

    rows = repository.states_of(
        session,
        subject_id=data.subject_id,
        visitor_id=data.visitor_id,
        purpose=purpose.id,
        scope=data.scope or "",
        for_update=True,
    )
    target = data.channel or ALL_CHANNELS
    touched = [r for r in rows if target == ALL_CHANNELS or r.channel == target]
    if not any(r.channel == target for r in touched):
        row = ConsentState(
            id=new_id(),
            subject_id=data.subject_id,
            visitor_id=data.visitor_id,
            purpose=purpose.id,
            channel=target,
            scope=data.scope or "",
            created_at=now,
            last_used_at=None,
            withdrawn_at=None,
        )
        session.add(row)
        touched.append(row)
        rows = [*rows, row]
    new_state = rules.ACTION_STATE[data.action]
    for row in touched:
        row.state = new_state
        row.since = now
        row.last_event_id = event.id
        if data.action == "grant":
            row.last_used_at = now  # the grant is the consent's first use: retention counts from it
        row.withdrawn_at = now if new_state in rules.STOPPED_STATES else None
    session.flush()
    for row in touched:
        _assign_record_holds(session, policy, row, clock)

    ended = 0
    reason = rules.hold_end_reason(purpose, data.action, [r.state for r in rows])
    if reason is not None and data.subject_id is not None:
        ended = _end_purpose_holds(session, policy, data.subject_id, purpose.id, reason, clock)
    if data.actor_type == "staff" and data.subject_id is not None:
        audit_service.record(
            session,
            actor_type="staff",
            actor_id=data.actor_id,
            action="consent.record",
            purpose=purpose.id,
            subject_id=data.subject_id,
            record_type="consent_event",
            record_id=event.id,
            detail={"action": data.action, "channel": data.channel or "all", "source": data.source},
            clock=clock,
        )
    return RecordResult(
        event=ConsentEventRead.model_validate(event),
        states=[_state_read(r) for r in touched],
        ended_holds=ended,
    )


def may_use(session: Session, policy: Policy, subject_id: str, purpose: str, channel: str | None) -> Decision:
    """May `purpose` use `channel` (None: the purpose as a whole) for the subject now? One indexed query.

    Consent: needs a current grant for the channel or for all channels. Legitimate interests: allowed
    unless the subject opted out of the channel (or all channels) or objected. Restricted subjects are
    refused everything. The reason is a stable code (`rules.GRANTED`, `rules.OPTED_OUT`...).
    """
    spec = policy.purpose(purpose)
    restricted, own, general = repository.decision_rows(
        session, subject_id, spec.id, channel, subjects_service.restricted_subject_ids()
    )
    return rules.decide(spec, channel, restricted=restricted, own=own, all_channels=general)


def audience_select(
    policy: Policy, purpose: str, channel: str | None, candidates: Select[str] | None = None
) -> Select[str, str]:
    """A SELECT of (subject_id, reason) deciding every candidate in SQL, for audiences and dry runs.

    `candidates`: a SELECT whose first column is subject ids (e.g. a campaign segment); None is allowed
    for consent purposes only (everyone with a recorded choice). Group by `reason` for a dry run's
    exclusion counts; `allowed_subject_ids` keeps the allowed ones.
    """
    return repository.audience_select(
        policy.purpose(purpose), channel, candidates, subjects_service.restricted_subject_ids()
    )


def allowed_subject_ids(
    policy: Policy, purpose: str, channel: str | None, candidates: Select[str] | None = None
) -> Select[str]:
    """A SELECT of the subject ids `purpose` may use on `channel` now (see `audience_select`)."""
    decided = audience_select(policy, purpose, channel, candidates).subquery("decided")
    return select(decided.c.subject_id).where(repository.allowed_clause(decided.c.reason))


def mark_used(
    session: Session, policy: Policy, subject_id: str, purpose: str, channel: str | None, *, clock: Clock
) -> ConsentStateRead | None:
    """Record that the purpose used the subject's consent (or choice) on `channel` now; marketing calls
    it at send time, in the send's transaction.

    Bumps `last_used_at` of the row that decides for the channel (its own, else the all-channels row) and
    recomputes that consent record's holds (telecom keeps it until 2 years after the last use). The row
    is locked (PostgreSQL), so a withdrawal racing the send is either committed first, and then this
    raises PurposeNotAllowedError (do not send), or waits until the send's transaction ends. Returns
    None when there is no row to mark (a legitimate-interest purpose nobody opted out of).
    """
    spec = policy.purpose(purpose)
    rows = repository.states_of(
        session, subject_id=subject_id, visitor_id=None, purpose=spec.id, scope="", for_update=True
    )
    by_channel = {r.channel: r for r in rows}
    row = (by_channel.get(channel) if channel is not None else None) or by_channel.get(ALL_CHANNELS)
    decision = may_use(session, policy, subject_id, spec.id, channel)
    if not decision.allowed:
        raise PurposeNotAllowedError(
            f"purpose '{spec.id}' may not use {channel or 'any channel'} for this subject "
            f"({decision.reason})",
            details={"purpose": spec.id, "channel": channel, "reason": decision.reason},
        )
    if row is None:
        return None
    row.last_used_at = clock.now()
    session.flush()
    _assign_record_holds(session, policy, row, clock)
    return _state_read(row)


def states(
    session: Session, *, subject_id: str | None = None, visitor_id: str | None = None
) -> list[ConsentStateRead]:
    """The holder's current projection rows, by purpose and channel."""
    _one_holder(subject_id, visitor_id)
    return [
        _state_read(r) for r in repository.states_of(session, subject_id=subject_id, visitor_id=visitor_id)
    ]


def history(
    session: Session, *, subject_id: str | None = None, visitor_id: str | None = None, limit: int = 200
) -> list[ConsentEventRead]:
    """The holder's events, newest first."""
    _one_holder(subject_id, visitor_id)
    return [
        ConsentEventRead.model_validate(e)
        for e in repository.events_of(session, subject_id=subject_id, visitor_id=visitor_id, limit=limit)
    ]


def get_event(session: Session, event_id: str) -> ConsentEventRead:
    """One event, or NotFoundError. Callers check that the reader may see it."""
    event = repository.get_event(session, event_id)
    if event is None:
        raise NotFoundError("no such consent event")
    return ConsentEventRead.model_validate(event)


def receipt(
    session: Session,
    policy: Policy,
    event_id: str,
    *,
    secret: str,
    policy_url: str,
    privacy_centre_url: str,
) -> dict[str, Any]:
    """The event's consent receipt (Kantara v1.1 / ISO/IEC TS 27560 fields; see `receipt`), or
    NotFoundError. `piiPrincipalId` is a keyed hash of the holder, so the receipt names nobody."""
    event = get_event(session, event_id)
    holder = event.subject_id or f"visitor:{event.visitor_id}"
    return build_receipt(
        policy,
        event,
        principal_id=keyed_hash(secret, "consent_receipt", holder),
        policy_url=policy_url,
        privacy_centre_url=privacy_centre_url,
    )


def notice_text(session: Session, sha256: str) -> str | None:
    """The exact notice text stored under this hash."""
    return repository.notice_text(session, sha256)


def excluded_purposes(session: Session, policy: Policy, subject_id: str) -> set[str]:
    """Purposes that must not hold the subject's new records: objected ones, and consents withdrawn on
    every channel. Pass it as `excluded_purposes` to `retention.service.assign_holds`."""
    by_purpose: dict[str, dict[str, str]] = {}
    for row in repository.states_of(session, subject_id=subject_id, visitor_id=None, scope=""):
        by_purpose.setdefault(row.purpose, {})[row.channel] = row.state
    excluded: set[str] = set()
    for purpose_id, found in by_purpose.items():
        if not policy.has_purpose(purpose_id):
            continue
        basis = policy.purpose(purpose_id).legal_basis
        objected = basis == "legitimate_interests" and found.get(ALL_CHANNELS) == "objected"
        withdrawn = basis == "consent" and "granted" not in found.values()
        if objected or withdrawn:
            excluded.add(purpose_id)
    return excluded


def cookie_categories(policy: Policy) -> list[CookieCategory]:
    """The cookie banner's categories for this policy (empty when it asks no cookie consent)."""
    return rules.cookie_categories(policy)


def cookie_choice(session: Session, policy: Policy, visitor_id: str) -> dict[str, bool] | None:
    """The visitor's current choice per optional category, or None when they have not chosen yet."""
    categories = [c for c in rules.cookie_categories(policy) if c.purpose is not None]
    found = {
        r.scope: r.state == "granted"
        for r in repository.states_of(session, subject_id=None, visitor_id=visitor_id)
        if r.channel in ("web", ALL_CHANNELS)
    }
    if not found:
        return None
    return {c.id: found.get(c.id, False) for c in categories}


def erase_records(session: Session, record_ids: Sequence[str]) -> dict[str, int]:
    """Delete expired consent records (projection rows with their events) and forget their holds.

    For the retention sweeper, once no purpose holds these `consent_record`s any more; rows deleted per
    table, for the proof of deletion. The caller checks the records are really expired.
    """
    counts = repository.erase_states(session, record_ids)
    for record_id in record_ids:
        retention_service.forget_record(session, record_type=CONSENT_RECORD, record_id=record_id)
    return counts


def _one_holder(subject_id: str | None, visitor_id: str | None) -> None:
    if (subject_id is None) == (visitor_id is None):
        raise ValueError("give exactly one of subject_id and visitor_id")


def _assign_record_holds(session: Session, policy: Policy, row: ConsentState, clock: Clock) -> None:
    """Give the projection row, as a `consent_record`, the holds the policy's purposes decide for it."""
    retention_service.assign_holds(
        session,
        policy,
        record_type=CONSENT_RECORD,
        record_id=row.id,
        facts=rules.consent_record_facts(
            created_at=row.created_at,
            state=row.state,
            last_used_at=row.last_used_at,
            withdrawn_at=row.withdrawn_at,
        ),
        clock=clock,
        subject_id=row.subject_id,
    )


def _end_purpose_holds(
    session: Session, policy: Policy, subject_id: str, purpose: str, reason: str, clock: Clock
) -> int:
    ended = 0
    for ref in retention_service.records_held_for_subject(
        session, policy, subject_id=subject_id, purpose=purpose, clock=clock
    ):
        if ref.record_type == CONSENT_RECORD:
            continue  # the proof of the consent is kept by its own rules
        result = retention_service.end_holds(
            session,
            policy,
            record_type=ref.record_type,
            record_id=ref.record_id,
            reason=reason,
            clock=clock,
            purposes=[purpose],
        )
        ended += len(result.ended)
    return ended


def _state_read(row: ConsentState) -> ConsentStateRead:
    return ConsentStateRead(
        id=row.id,
        subject_id=row.subject_id,
        visitor_id=row.visitor_id,
        purpose=row.purpose,
        channel=None if row.channel == ALL_CHANNELS else row.channel,
        scope=row.scope or None,
        state=row.state,
        since=row.since,
        last_event_id=row.last_event_id,
        last_used_at=row.last_used_at,
        withdrawn_at=row.withdrawn_at,
    )
