"""Holds: the one place that decides which purposes keep a record, and whether a purpose may read it.

Every function takes the caller's `session` and never commits: storing a message, auditing it and
giving it its holds is one transaction (DESIGN §2). Other domains ask `can_read` / `require_read` before
a purpose reads a record and filter list pages with `readable_record_ids`, so "the 3-year archive hold
ended" means "the customer no longer sees it" everywhere at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.orm import Session

from tillit.core.clock import Clock
from tillit.core.errors import PurposeNotAllowedError
from tillit.core.ids import new_id
from tillit.policy.schema import RECORD_KINDS, Policy
from tillit.retention import repository, rules
from tillit.retention.models import Hold
from tillit.retention.rules import HoldDecision
from tillit.retention.schemas import EndReason, EndResult, HoldBrief, HoldRead, KeptHold, RecordRef

__all__ = [
    "EndReason",
    "assign_holds",
    "can_read",
    "end_holds",
    "expired_records",
    "forget_record",
    "forget_records",
    "holds_by_record",
    "holds_for",
    "is_record_alive",
    "readable_record_ids",
    "recompute_holds",
    "records_held_for_subject",
    "require_read",
]


def assign_holds(
    session: Session,
    policy: Policy,
    *,
    record_type: str,
    record_id: str,
    facts: Mapping[str, object],
    clock: Clock,
    subject_id: str | None = None,
    excluded_purposes: Collection[str] = (),
) -> list[HoldRead]:
    """Bring the record's holds in line with what the policy decides for these facts.

    In the caller's transaction: creates the holds of purposes that now hold the record, updates rule,
    action and expiry of those that changed, and ends (expires_at = now, ended_reason
    "no_longer_applies") those whose purpose no longer holds it. Idempotent: the same facts twice change
    nothing the second time.

    A hold ended for any other reason (objection, withdrawal, erasure, the customer's own deletion...) is
    left exactly as it is: a recompute reflects facts, and a right is not a fact that can flip back.
    `excluded_purposes` (an objection or restriction the caller knows of) prevents new holds and revivals
    for those purposes; it does not end existing holds; that is `end_holds`' job, which leaves a trace
    of why. Purposes the policy no longer has are ignored in `excluded_purposes` (they cannot hold
    anything), so a stale objection never blocks storing a record.

    Returns every hold of the record afterwards, ended ones included, ordered by purpose (code point
    order). When none of them is alive, no purpose holds the record and the caller should not keep it.
    """
    _check_record_type(policy, record_type)
    now = clock.now()
    decisions = rules.decide_holds(policy, record_type, facts)
    existing = {
        h.purpose: h for h in repository.holds_of_record(session, record_type, record_id, for_update=True)
    }
    excluded = frozenset(excluded_purposes)
    current = dict(existing)

    for purpose, decision in decisions.items():
        hold = existing.get(purpose)
        if hold is None:
            if purpose not in excluded:
                current[purpose] = _new_hold(record_type, record_id, subject_id, decision, now)
                session.add(current[purpose])
            continue
        if hold.ended_reason is not None and (
            hold.ended_reason != EndReason.NO_LONGER_APPLIES or purpose in excluded
        ):
            continue  # ended by a right (never revived) or excluded by the caller
        _update_hold(hold, decision, subject_id, now)

    for purpose, hold in existing.items():
        if purpose in decisions or hold.ended_reason is not None:
            continue
        _end(hold, EndReason.NO_LONGER_APPLIES, now)

    session.flush()
    # The rows just read (locked) and written are the record's holds: no need to read them again.
    return [HoldRead.model_validate(current[purpose]) for purpose in sorted(current)]


def recompute_holds(
    session: Session,
    policy: Policy,
    *,
    record_type: str,
    record_id: str,
    facts: Mapping[str, object],
    clock: Clock,
    subject_id: str | None = None,
    excluded_purposes: Collection[str] = (),
) -> list[HoldRead]:
    """Re-evaluate a record's holds after its facts changed (an advisor joined, the chat closed...).

    The same operation as `assign_holds` (which is already an upsert); a separate name so call sites say
    what happened. Pass the record's full current facts, not only the changed ones: a fact left out is a
    missing fact, and a missing fact matches no condition.
    """
    return assign_holds(
        session,
        policy,
        record_type=record_type,
        record_id=record_id,
        facts=facts,
        clock=clock,
        subject_id=subject_id,
        excluded_purposes=excluded_purposes,
    )


def holds_depend_on(policy: Policy, record_kinds: Collection[str], fact: str) -> bool:
    """Whether a change of `fact` can change the holds of records of these kinds under the policy (see
    `rules.facts_used`): a caller that changed only that fact recomputes only when it can."""
    return any(fact in rules.facts_used(policy, kind) for kind in record_kinds)


def end_holds(
    session: Session,
    policy: Policy,
    *,
    record_type: str,
    record_id: str,
    reason: str,
    clock: Clock,
    purposes: Iterable[str] | None = None,
    keep_legal_obligations: bool = True,
) -> EndResult:
    """End the record's alive holds of `purposes` (all purposes when None) now, for `reason`.

    With `keep_legal_obligations`, holds of purposes whose legal basis is a legal obligation stay alive
    (erasure and the customer's own deletion cannot override a law that obliges keeping the record) and
    are listed in `kept` with the law the policy names. Holds already dead are left untouched, so their
    original reason is not overwritten. The result also lists every hold still alive afterwards.

    Unknown purpose ids raise `UnknownPurposeError`; an ended hold of a purpose the current policy no
    longer has is simply ended (no law in this policy keeps it).
    """
    if not reason or reason == EndReason.NO_LONGER_APPLIES:
        raise ValueError("end_holds needs the reason a right or a decision ends the holds")
    wanted: set[str] | None = None
    if purposes is not None:
        wanted = {policy.purpose(p).id for p in purposes}
    now = clock.now()
    ended: list[HoldRead] = []
    kept: list[KeptHold] = []
    for hold in repository.holds_of_record(session, record_type, record_id, for_update=True):
        if (wanted is not None and hold.purpose not in wanted) or not rules.alive(hold.expires_at, now):
            continue
        purpose = policy.purpose(hold.purpose) if policy.has_purpose(hold.purpose) else None
        if keep_legal_obligations and purpose is not None and purpose.legal_basis == "legal_obligation":
            kept.append(
                KeptHold(
                    purpose=purpose.id,
                    purpose_name=purpose.name,
                    legal_basis=purpose.legal_basis,
                    legal_obligation=purpose.legal_obligation,
                    expires_at=hold.expires_at,
                )
            )
            continue
        _end(hold, reason, now)
        ended.append(HoldRead.model_validate(hold))
    session.flush()
    remaining = [h for h in holds_for(session, record_type, record_id) if h.alive_at(now)]
    return EndResult(ended=ended, kept=kept, remaining=remaining)


def holds_for(session: Session, record_type: str, record_id: str) -> list[HoldRead]:
    """Every hold on the record, ended ones included, ordered by purpose."""
    return [HoldRead.model_validate(h) for h in repository.holds_of_record(session, record_type, record_id)]


def can_read(
    session: Session, policy: Policy, purpose: str, *, record_type: str, record_id: str, clock: Clock
) -> bool:
    """May `purpose` read this record now? True only while that purpose's own hold on it is alive.

    Another purpose's hold does not count: the 5-year customer-service hold keeps a conversation for
    advisors, but the customer's 3-year archive purpose stops seeing it when its own hold ends.
    """
    policy.purpose(purpose)  # an unknown purpose is a programming or policy error, never "just False"
    return repository.alive_hold_exists(
        session, record_type=record_type, record_id=record_id, purpose=purpose, now=clock.now()
    )


def require_read(
    session: Session, policy: Policy, purpose: str, *, record_type: str, record_id: str, clock: Clock
) -> None:
    """`can_read`, raising `PurposeNotAllowedError` (403) when the purpose does not hold the record."""
    if not can_read(session, policy, purpose, record_type=record_type, record_id=record_id, clock=clock):
        raise PurposeNotAllowedError(
            f"purpose '{purpose}' does not hold this {record_type}",
            details={"purpose": purpose, "record_type": record_type, "record_id": record_id},
        )


def readable_record_ids(policy: Policy, purpose: str, *, record_type: str, clock: Clock) -> Select[str]:
    """A SELECT of the ids of `record_type` records that `purpose` may read now, for list pages.

    Use it inside the list query so the filtering happens in SQL, e.g.
    `select(Conversation).where(Conversation.id.in_(readable_record_ids(...)))`. The time is taken
    when the SELECT is built.
    """
    policy.purpose(purpose)
    return repository.readable_ids(purpose, record_type, clock.now())


def is_record_alive(session: Session, *, record_type: str, record_id: str, clock: Clock) -> bool:
    """Does any purpose still hold the record? A record without any hold is not alive."""
    return repository.alive_hold_exists(
        session, record_type=record_type, record_id=record_id, now=clock.now()
    )


def expired_records(session: Session, clock: Clock, limit: int = 500) -> list[RecordRef]:
    """Records every one of whose holds has expired or ended, oldest first, at most `limit`.

    The sweeper deletes (or anonymises) these in batches. It must remove or mark the swept records'
    holds in the same transaction, otherwise the same records come back in the next batch.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return [RecordRef(t, i) for t, i in repository.expired_records(session, clock.now(), limit)]


def _check_record_type(policy: Policy, record_type: str) -> None:
    """Reject a record type that is neither a tillit record kind nor a dataset of the policy.

    A misspelt kind would otherwise get no holds at all, silently.
    """
    if record_type not in RECORD_KINDS and all(d.id != record_type for d in policy.datasets):
        known = ", ".join(sorted(RECORD_KINDS | {d.id for d in policy.datasets}))
        raise ValueError(f"unknown record type '{record_type}' (known: {known})")


def _new_hold(
    record_type: str, record_id: str, subject_id: str | None, decision: HoldDecision, now: datetime
) -> Hold:
    return Hold(
        id=new_id(),
        record_type=record_type,
        record_id=record_id,
        subject_id=subject_id,
        purpose=decision.purpose,
        rule_index=decision.rule_index,
        action=decision.action,
        expires_at=decision.expires_at,
        created_at=now,
        updated_at=now,
        ended_reason=None,
    )


def _update_hold(hold: Hold, decision: HoldDecision, subject_id: str | None, now: datetime) -> None:
    """Apply a decision to an existing hold; touch `updated_at` only when something changed.

    Clearing `ended_reason` revives a hold ended as "no_longer_applies": the facts flipped back and the
    purpose holds the record again. The caller never passes a hold ended by a right.
    """
    new_subject = subject_id if subject_id is not None else hold.subject_id
    unchanged = (
        hold.ended_reason is None
        and hold.rule_index == decision.rule_index
        and hold.action == decision.action
        and hold.expires_at == decision.expires_at
        and hold.subject_id == new_subject
    )
    if unchanged:
        return
    hold.ended_reason = None
    hold.rule_index = decision.rule_index
    hold.action = decision.action
    hold.expires_at = decision.expires_at
    hold.subject_id = new_subject
    hold.updated_at = now


def _end(hold: Hold, reason: str, now: datetime) -> None:
    """End a hold now; an expiry already in the past stays (it is when the hold really stopped)."""
    if rules.alive(hold.expires_at, now):
        hold.expires_at = now
    hold.ended_reason = reason
    hold.updated_at = now


def forget_record(session: Session, *, record_type: str, record_id: str) -> int:
    """Remove every hold of a record that has just been deleted (its proof of deletion is the caller's)."""
    return repository.delete_holds_of_record(session, record_type, record_id)


def records_held_for_subject(
    session: Session, policy: Policy, *, subject_id: str, purpose: str, clock: Clock
) -> list[RecordRef]:
    """The subject's records that `purpose` holds alive now (found through the holds' `subject_id`).

    A withdrawal or an objection ends exactly these holds (consent's `record_event` calls `end_holds` on
    each), so the subject's other records and other purposes' holds are untouched.
    """
    policy.purpose(purpose)
    return [
        RecordRef(t, i)
        for t, i in repository.records_held_for_subject(session, subject_id, purpose, clock.now())
    ]


def forget_records(session: Session, *, record_type: str | Collection[str], record_ids: Iterable[str]) -> int:
    """`forget_record` for many records of one kind (or of several kinds sharing ids) at once: the
    retention sweeper's batches."""
    kinds = [record_type] if isinstance(record_type, str) else list(record_type)
    return repository.delete_holds_of_records(session, kinds, list(record_ids))


def holds_by_record(
    session: Session, *, record_type: str, record_ids: Sequence[str]
) -> dict[str, list[HoldBrief]]:
    """Every hold (ended ones included) of many records of one kind, by record id, ordered by purpose:
    `holds_for` in a few set-based queries, for rights requests that list every record of a subject."""
    chunk = 10_000 if session.get_bind().dialect.name == "postgresql" else 900
    result: dict[str, list[HoldBrief]] = {}
    for ids, purpose, expires_at, ended in repository.hold_rows_of_records(
        session, record_type, list(record_ids), chunk=chunk
    ):
        brief = HoldBrief(purpose, expires_at, ended)  # one per distinct hold, shared by its records
        for record_id in ids:
            found = result.get(record_id)
            if found is None:
                result[record_id] = [brief]
            else:
                found.append(brief)
    for holds in result.values():
        if len(holds) > 1:
            holds.sort()
    return result
