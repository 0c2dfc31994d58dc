"""The outbox dispatcher: delivers queued messages by e-mail, SMS or inbox, one transaction each.

Why one transaction per message, and why in this order: a withdrawal committed before a send must never
be sent. The transaction first claims the outbox row with an UPDATE (on SQLite that takes the database's
write lock, so no withdrawal can commit until we are done; on PostgreSQL it locks the row against a second
dispatcher), then asks `consent.service.mark_used`, which locks the subject's deciding consent row and
refuses if the purpose may no longer use the channel. Then the send-log entry is written and given its
holds, and only then is the message handed to the port, and the row marked sent and audited, in that same
transaction. A withdrawal that commits first is seen by the check; one that comes later waits for our
commit. The price is at-least-once delivery: if the commit fails after the port accepted the message, it
is sent again later.

The send-log entry is held by the campaign's purpose and by documentation purposes (legal obligation)
that list `marketing_send` in their records (`rules.send_log_holders`). When none of them holds it (no
such purpose, or their rules do not apply to this message), the sweeper would never find it and it would
be kept forever: the attempt is rolled back before anything is handed to a port, and the row is marked
`failed` with the reason `send_log_unheld ...` and audited in a fresh transaction. Nothing is sent.

A delivery failure (`MailError`, `DeliveryError`) rolls the attempt back (including the consent's
`last_used_at`) and records it in a fresh transaction: retried with exponential back-off, `failed` after
`max_attempts`. Audit details carry ids, channel, status and counts: never an address or message text.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.consent import service as consent_service
from tillit.core.clock import Clock
from tillit.core.errors import NotFoundError, PurposeNotAllowedError
from tillit.core.ids import new_id
from tillit.core.mail import MailError, OutgoingMail
from tillit.db.session import UnitOfWork
from tillit.marketing import repository, rules
from tillit.marketing.models import MarketingCampaign, MarketingOutbox, MarketingSendLog
from tillit.marketing.ports import DeliveryError, InboxMessage, OutgoingSms, Ports
from tillit.marketing.schemas import DispatchResult, MessageContent
from tillit.policy.schema import Policy
from tillit.retention import service as retention_service
from tillit.subjects import service as subjects_service

SEND_RECORD = rules.SEND_RECORD
"""The record kind of a send-log entry (see `tillit.policy.schema.RECORD_KINDS`)."""
ACTOR = Actor.job("marketing-dispatcher")
log = logging.getLogger(__name__)


class _UnheldError(Exception):
    """No purpose would hold the message's send-log entry: leave the transaction, so it rolls back whole."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:200]


def dispatch(
    uow: UnitOfWork,
    policy: Policy,
    ports: Ports,
    *,
    secret: str,
    clock: Clock,
    batch_size: int = 100,
    max_attempts: int = rules.MAX_ATTEMPTS,
) -> DispatchResult:
    """Deliver every outbox row due now (up to `batch_size`), each in its own transaction."""
    with uow.read() as session:
        due = repository.due_outbox_ids(session, clock.now(), batch_size)
    outcomes = {"sent": 0, "suppressed": 0, "retried": 0, "failed": 0}
    for outbox_id in due:
        outcome = deliver(
            uow, policy, ports, outbox_id, secret=secret, clock=clock, max_attempts=max_attempts
        )
        if outcome in outcomes:
            outcomes[outcome] += 1
    return DispatchResult(**outcomes)


def deliver(
    uow: UnitOfWork,
    policy: Policy,
    ports: Ports,
    outbox_id: str,
    *,
    secret: str,
    clock: Clock,
    max_attempts: int = rules.MAX_ATTEMPTS,
) -> str:
    """Deliver one outbox row; returns `sent`, `suppressed`, `retried`, `failed` or `skipped` (no longer
    pending: another dispatcher took it)."""
    try:
        with uow.begin() as session:
            row = repository.claim(session, outbox_id)
            if row is None:
                return "skipped"
            campaign = repository.campaign(session, row.campaign_id)
            if campaign is None:
                return _finish(session, row, "suppressed", "campaign_gone", clock)
            holders = rules.send_log_holders(policy, campaign.purpose)
            if not holders:
                raise _UnheldError(
                    f"{rules.SEND_LOG_UNHELD}: no purpose holds the send log ({SEND_RECORD}) of purpose "
                    f"'{campaign.purpose}'"
                )
            try:
                consent_service.mark_used(
                    session, policy, row.subject_id, campaign.purpose, row.channel, clock=clock
                )
                subject = subjects_service.get_subject(session, row.subject_id, secret=secret)
                identities = subjects_service.identities_of(session, row.subject_id, secret=secret)
            except PurposeNotAllowedError as exc:
                return _finish(
                    session, row, "suppressed", str(exc.details.get("reason", "not_allowed")), clock
                )
            except NotFoundError:
                return _finish(session, row, "suppressed", "subject_gone", clock)
            addresses = identities.get(rules.CHANNEL_ADDRESS[row.channel], [])
            if not addresses:
                return _finish(session, row, "failed", rules.NO_ADDRESS, clock)
            content = rules.pick_content(
                {k: MessageContent.model_validate(v) for k, v in campaign.content.items()},
                subject.language,
                policy.organisation.default_language,
            )
            entry = _log(session, policy, campaign, row, subject.kind, holders, clock)
            message_id = _hand_over(ports, campaign, row, addresses[0], content)
            _mark_sent(session, campaign, row, entry, message_id, clock)
            return "sent"
    except (MailError, DeliveryError) as exc:
        return _record_failure(uow, outbox_id, exc, clock, max_attempts)
    except _UnheldError as exc:
        return _refuse(uow, outbox_id, exc.reason, clock)


def _hand_over(
    ports: Ports, campaign: MarketingCampaign, row: MarketingOutbox, address: str, content: MessageContent
) -> str:
    if row.channel == "email":
        return ports.mailer.send(
            OutgoingMail(
                to=address,
                subject=content.subject or campaign.name,
                text=content.body,
                headers=(("X-Tillit-Campaign", campaign.id), ("X-Tillit-Outbox", row.id)),
            )
        )
    if row.channel == "sms":
        return ports.sms.send(OutgoingSms(to=address, text=content.body))
    return ports.inbox.send(
        InboxMessage(customer_number=address, subject=content.subject or campaign.name, text=content.body)
    )


def _log(
    session: Session,
    policy: Policy,
    campaign: MarketingCampaign,
    row: MarketingOutbox,
    subject_kind: str,
    holders: list[str],
    clock: Clock,
) -> MarketingSendLog:
    """Write the send-log entry and its holds, before anything is handed to a port. Raises `_UnheldError` when
    no purpose holds it, which rolls the entry back with the rest of the attempt."""
    now = clock.now()
    entry = MarketingSendLog(
        id=new_id(),
        outbox_id=row.id,
        campaign_id=campaign.id,
        subject_id=row.subject_id,
        purpose=campaign.purpose,
        channel=row.channel,
        message_id=None,
        sent_at=now,
        response="none",
        responded_at=None,
    )
    session.add(entry)
    session.flush()
    # Held by the campaign's purpose and by documentation purposes (legal obligation), not by every
    # purpose that may hold send-log entries: another marketing purpose must not keep this campaign's.
    others = {p.id for p in policy.purposes_holding(SEND_RECORD)} - set(holders)
    holds = retention_service.assign_holds(
        session,
        policy,
        record_type=SEND_RECORD,
        record_id=entry.id,
        facts={
            "created_at": now,
            "sent_at": now,
            "channel": row.channel,
            "campaign_kind": campaign.kind,
            "subject_kind": subject_kind,
        },
        clock=clock,
        subject_id=row.subject_id,
        excluded_purposes=others,
    )
    if not any(h.alive_at(now) for h in holds):
        raise _UnheldError(
            f"{rules.SEND_LOG_UNHELD}: the retention rules of {', '.join(holders)} hold no send-log entry "
            f"of purpose '{campaign.purpose}' for this message"
        )
    return entry


def _mark_sent(
    session: Session,
    campaign: MarketingCampaign,
    row: MarketingOutbox,
    entry: MarketingSendLog,
    message_id: str,
    clock: Clock,
) -> None:
    entry.message_id = message_id[:200]
    row.status = "sent"
    row.finished_at = entry.sent_at
    row.last_error = None
    session.flush()
    audit_service.record_as(
        session,
        ACTOR,
        "marketing.message.sent",
        purpose=campaign.purpose,
        subject_id=row.subject_id,
        record_type=SEND_RECORD,
        record_id=entry.id,
        detail={"campaign_id": campaign.id, "outbox_id": row.id, "channel": row.channel},
        clock=clock,
    )


def _finish(session: Session, row: MarketingOutbox, status: str, reason: str, clock: Clock) -> str:
    row.status = status
    row.last_error = reason
    row.finished_at = clock.now()
    session.flush()
    audit_service.record_as(
        session,
        ACTOR,
        f"marketing.message.{status}",
        subject_id=row.subject_id,
        record_type="marketing_outbox",
        record_id=row.id,
        detail={"campaign_id": row.campaign_id, "channel": row.channel, "reason": reason},
        clock=clock,
    )
    return status


def _refuse(uow: UnitOfWork, outbox_id: str, reason: str, clock: Clock) -> str:
    """Mark the row `failed` with the reason, audited, in a fresh transaction (the attempt was rolled back:
    nothing was handed to a port, no entry written, the consent's use not counted)."""
    with uow.begin() as session:
        row = session.get(MarketingOutbox, outbox_id)
        if row is None or row.status != "pending":
            return "skipped"
        log.error("marketing: outbox row %s not sent: %s", outbox_id, reason)
        return _finish(session, row, "failed", reason, clock)


def _record_failure(
    uow: UnitOfWork, outbox_id: str, exc: BaseException, clock: Clock, max_attempts: int
) -> str:
    with uow.begin() as session:
        row = session.get(MarketingOutbox, outbox_id)
        if row is None or row.status != "pending":
            return "skipped"
        row.attempts += 1
        row.last_error = rules.short_error(exc)
        if row.attempts >= max_attempts:
            return _finish(session, row, "failed", row.last_error, clock)
        row.next_attempt_at = clock.now() + rules.retry_delay(row.attempts)
        session.flush()
        audit_service.record_as(
            session,
            ACTOR,
            "marketing.message.retry",
            subject_id=row.subject_id,
            record_type="marketing_outbox",
            record_id=row.id,
            detail={"campaign_id": row.campaign_id, "channel": row.channel, "attempts": row.attempts},
            clock=clock,
        )
        return "retried"
