"""Marketing use cases: campaigns, their audience at send time, dry runs, sending into the outbox, the
send log and responses. Delivery is `dispatcher.dispatch`.

Every function here takes the caller's `session` and never commits (DESIGN §2), so a campaign and its
audit row, or a send's outbox rows and its audit row, land in one transaction.

The audience is one SQL statement, decided when it is asked (a dry run, a send), never stored: the
segment (`subjects.service.subject_ids_where`) is decided by consent (`consent.service.audience_select`:
a consent purpose needs a current grant for the purpose and channel, a legitimate-interest purpose
excludes opt-outs and objections, restriction excludes), then subjects without an address on the channel
(`subjects.service.subject_ids_with_identifier`, as an EXISTS semi-join) become `no_address`. The
propensity model and customer matching build on `segment_select`, `audience_select` and
`allowed_subject_ids`; a send and `bench/audience.py` on `reached_select` (docs/marketing.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, insert
from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.consent import rules as consent_rules
from tillit.consent import service as consent_service
from tillit.core.clock import Clock
from tillit.core.errors import ConflictError, NotFoundError, ValidationFailedError
from tillit.core.ids import new_id
from tillit.marketing import matching, repository, rules
from tillit.marketing.models import MarketingCampaign, MarketingOutbox, MarketingSendLog
from tillit.marketing.schemas import (
    CampaignCreate,
    CampaignRead,
    DryRun,
    OutboxRead,
    Response,
    SampleRow,
    Segment,
    SendLogRead,
    SendResult,
)
from tillit.policy.schema import Policy
from tillit.retention import service as retention_service
from tillit.subjects import service as subjects_service

ALLOWED_REASONS: frozenset[str] = consent_rules.ALLOWED_REASONS
"""Reasons under which a subject is in the audience (consent's allowed decisions)."""
SAMPLE_SIZE = 5
SEND_RECORD = "marketing_send"
"""The record kind of a send-log entry (the dispatcher assigns its holds)."""
_INSERT_CHUNK = 1000

__all__ = [
    "ALLOWED_REASONS",
    "allowed_subject_ids",
    "audience_select",
    "create_campaign",
    "dry_run",
    "erase_matching_exports",
    "erase_send_log",
    "get_campaign",
    "list_campaigns",
    "outbox",
    "outbox_counts",
    "reached_select",
    "record_response",
    "segment_select",
    "send",
    "send_log",
]


def create_campaign(
    session: Session, policy: Policy, data: CampaignCreate, *, actor: Actor, clock: Clock
) -> CampaignRead:
    """Store a draft campaign after checking it against the policy (see `rules.check_campaign`)."""
    purpose = policy.purpose(data.purpose)
    rules.check_campaign(policy, purpose, data.kind, data.channel, sorted(data.content))
    unknown_kinds = sorted(set(data.segment.subject_kinds) - {s.key for s in policy.data_subjects})
    if unknown_kinds:
        raise ValidationFailedError(
            f"unknown data-subject kind(s) {', '.join(unknown_kinds)}", details={"kinds": unknown_kinds}
        )
    row = MarketingCampaign(
        id=new_id(),
        name=data.name,
        kind=data.kind,
        purpose=purpose.id,
        channel=data.channel,
        segment=data.segment.model_dump(),
        content={lang: c.model_dump() for lang, c in data.content.items()},
        status="draft",
        created_by=actor.id,
        created_at=clock.now(),
        sent_at=None,
    )
    session.add(row)
    session.flush()
    audit_service.record_as(
        session,
        actor,
        "marketing.campaign.create",
        purpose=purpose.id,
        record_type="marketing_campaign",
        record_id=row.id,
        detail={"kind": row.kind, "channel": row.channel},
        clock=clock,
    )
    return _campaign_read(row)


def list_campaigns(session: Session) -> list[CampaignRead]:
    return [_campaign_read(c) for c in repository.campaigns(session)]


def get_campaign(session: Session, campaign_id: str) -> CampaignRead:
    row = repository.campaign(session, campaign_id)
    if row is None:
        raise NotFoundError("no such campaign")
    return _campaign_read(row)


def segment_select(segment: Segment) -> Select[str]:
    """The segment's subject ids as a SELECT (before consent is asked)."""
    return subjects_service.subject_ids_where(
        kinds=segment.subject_kinds, languages=segment.languages or None
    )


def _with_address(campaign: CampaignRead, *, present: bool) -> Select[str]:
    """The campaign's segment kept to the subjects that have (or, `present=False`, lack) an address on
    its channel: the segment's SELECT with a correlated [NOT] EXISTS over subjects' "holds an identity of
    this kind" SELECT. PostgreSQL drops the DISTINCT inside an EXISTS and plans a semi- or anti-join on
    `subject_identifier (kind, subject_id)`."""
    segment = segment_select(campaign.segment)
    reachable = subjects_service.subject_ids_with_identifier(rules.CHANNEL_ADDRESS[campaign.channel])
    held = reachable.where(reachable.selected_columns[0] == segment.selected_columns[0]).exists()
    return segment.where(held if present else ~held)


def audience_select(policy: Policy, campaign: CampaignRead) -> Select[str, str]:
    """(subject_id, reason) for everyone in the campaign's segment, decided now in one SQL statement.
    The reason is consent's (`granted`, `no_consent`, `withdrawn`, `legitimate_interest`, `opted_out`,
    `objected`, `restricted`, `contract`...) or `no_address`; `ALLOWED_REASONS` are in the audience.
    For the audience itself (a send) use `reached_select`, which skips the subjects without an address."""
    reached = consent_service.audience_select(
        policy, campaign.purpose, campaign.channel, candidates=_with_address(campaign, present=True)
    )
    unreached = consent_service.audience_select(
        policy, campaign.purpose, campaign.channel, candidates=_with_address(campaign, present=False)
    )
    return repository.audience(reached, unreached, ALLOWED_REASONS)


def reached_select(policy: Policy, campaign: CampaignRead) -> Select[str]:
    """The subject ids the campaign reaches now (an allowed reason and an address on the channel): the
    rows of `audience_select` with an allowed reason, as one semi-join with no `no_address` half to
    compute. What a send queues; the benchmark's campaign audience."""
    return consent_service.allowed_subject_ids(
        policy, campaign.purpose, campaign.channel, candidates=_with_address(campaign, present=True)
    )


def allowed_subject_ids(session: Session, policy: Policy, campaign: CampaignRead) -> list[str]:
    """The ids the campaign would reach now, sorted."""
    return repository.sorted_ids(session, reached_select(policy, campaign))


def dry_run(
    session: Session,
    policy: Policy,
    campaign_id: str,
    *,
    actor: Actor,
    clock: Clock,
    sample_size: int = SAMPLE_SIZE,
) -> DryRun:
    """Counts per reason, and a few subject ids per exclusion reason, without sending anything."""
    campaign = get_campaign(session, campaign_id)
    stmt = audience_select(policy, campaign)
    counts = repository.reason_counts(session, stmt)
    included = {r: n for r, n in counts.items() if r in ALLOWED_REASONS}
    excluded = {r: n for r, n in sorted(counts.items()) if r not in ALLOWED_REASONS}
    sample = [
        SampleRow(subject_id=subject_id, reason=reason)
        for reason in excluded
        for subject_id in repository.sample(session, stmt, reason, sample_size)
    ]
    result = DryRun(
        campaign_id=campaign.id,
        candidates=sum(counts.values()),
        included=sum(included.values()),
        included_reasons=included,
        excluded=excluded,
        sample=sample,
    )
    audit_service.record_as(
        session,
        actor,
        "marketing.campaign.dry_run",
        purpose=campaign.purpose,
        record_type="marketing_campaign",
        record_id=campaign.id,
        detail={"candidates": result.candidates, "included": result.included, "excluded": excluded},
        clock=clock,
    )
    return result


def send(session: Session, policy: Policy, campaign_id: str, *, actor: Actor, clock: Clock) -> SendResult:
    """Queue the campaign for everyone in its audience now: one outbox row each, in this transaction.

    A campaign is sent once (ConflictError the second time). Nothing leaves here: the dispatcher
    delivers, and re-checks each person's consent in the transaction that marks the message sent, so a
    withdrawal committed between this and the delivery still wins."""
    row = repository.campaign(session, campaign_id, for_update=True)
    if row is None:
        raise NotFoundError("no such campaign")
    if row.status != "draft":
        raise ConflictError("the campaign has already been sent", details={"campaign_id": campaign_id})
    campaign = _campaign_read(row)
    stmt = audience_select(policy, campaign)
    counts = repository.reason_counts(session, stmt)
    subject_ids = repository.sorted_ids(session, reached_select(policy, campaign))
    now = clock.now()
    for start in range(0, len(subject_ids), _INSERT_CHUNK):
        chunk = subject_ids[start : start + _INSERT_CHUNK]
        session.execute(
            insert(MarketingOutbox),
            [
                {
                    "id": new_id(),
                    "campaign_id": row.id,
                    "subject_id": subject_id,
                    "channel": row.channel,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "last_error": None,
                    "created_at": now,
                    "finished_at": None,
                }
                for subject_id in chunk
            ],
        )
    row.status = "sent"
    row.sent_at = now
    session.flush()
    excluded = {r: n for r, n in sorted(counts.items()) if r not in ALLOWED_REASONS}
    audit_service.record_as(
        session,
        actor,
        "marketing.campaign.send",
        purpose=row.purpose,
        record_type="marketing_campaign",
        record_id=row.id,
        detail={"queued": len(subject_ids), "excluded": excluded},
        clock=clock,
    )
    return SendResult(campaign_id=row.id, queued=len(subject_ids), excluded=excluded)


def outbox_counts(session: Session, campaign_id: str) -> dict[str, int]:
    """Outbox rows of the campaign per status (`pending`, `sent`, `suppressed`, `failed`)."""
    return repository.outbox_counts(session, campaign_id)


def outbox(session: Session, campaign_id: str) -> list[OutboxRead]:
    return [OutboxRead.model_validate(r) for r in repository.outbox_of(session, campaign_id)]


def send_log(
    session: Session, *, subject_id: str | None = None, campaign_id: str | None = None, limit: int = 500
) -> list[SendLogRead]:
    """Send-log entries, newest first (a subject's for the privacy centre or an access request)."""
    return [
        SendLogRead.model_validate(r)
        for r in repository.send_log(session, subject_id=subject_id, campaign_id=campaign_id, limit=limit)
    ]


def record_response(
    session: Session, send_log_id: str, response: Response, *, actor: Actor, clock: Clock
) -> SendLogRead:
    """Record how the person responded to a message (opened, clicked, unsubscribed)."""
    row = session.get(MarketingSendLog, send_log_id)
    if row is None:
        raise NotFoundError("no such send-log entry")
    row.response = response
    row.responded_at = clock.now()
    session.flush()
    audit_service.record_as(
        session,
        actor,
        "marketing.response",
        purpose=row.purpose,
        subject_id=row.subject_id,
        record_type="marketing_send",
        record_id=row.id,
        detail={"response": response},
        clock=clock,
    )
    return SendLogRead.model_validate(row)


def erase_send_log(session: Session, entry_ids: Sequence[str]) -> dict[str, int]:
    """Delete send-log entries (`marketing_send` records) and forget their holds; rows per table.

    For the retention sweeper once no purpose holds the entries any more (the bank promises the log is
    kept 5 years, not longer); the caller checks they are expired and writes the proof of deletion.
    Set-based, so a batch of 500 entries is two statements, not 500 round trips."""
    ids = list(entry_ids)
    if not ids:
        return {}
    deleted = repository.delete_send_log(session, ids)
    retention_service.forget_records(session, record_type=SEND_RECORD, record_ids=ids)
    return {MarketingSendLog.__tablename__: deleted}


def erase_matching_exports(
    session: Session, export_ids: Sequence[str], *, clock: Clock, actor: Actor = matching.PURGE_ACTOR
) -> dict[str, int]:
    """Delete customer-matching exports (`matching_export` records) and their holds; rows per table.
    The retention sweeper's way in to `matching.erase_exports` (domains meet through `service`)."""
    return matching.erase_exports(session, export_ids, clock=clock, actor=actor)


def _campaign_read(row: MarketingCampaign) -> CampaignRead:
    return CampaignRead.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "kind": row.kind,
            "purpose": row.purpose,
            "channel": row.channel,
            "segment": row.segment,
            "content": row.content,
            "status": row.status,
            "created_by": row.created_by,
            "created_at": row.created_at,
            "sent_at": row.sent_at,
        }
    )
