"""Customer-matching exports: hashed contact lists for external channels that delete themselves (§6).

The bank's document promises that customer matching (legitimate interests, with an opt-out) sends the
contact list encrypted and deletes it once the matching is complete. So an export:

- contains only subjects the customer-matching purpose may still use: the decision is the consent
  ledger's SQL (`consent.service.allowed_subject_ids`), on every channel the purpose declares, so an
  opt-out or objection on any of them (or on all) keeps the person out, and restricted subjects too;
- holds no clear contact detail: each e-mail is trimmed and lower-cased, each phone number put in E.164
  (`core.identifiers.normalise`), then hashed with plain SHA-256, which is what the platforms' customer
  match uploads expect (they hash their own users' details the same way and compare);
- is stored encrypted (AES-GCM, bound to the export's id) and never in clear, even as hashes: a hash of
  an e-mail is still personal data, and a list of them is trivially tested against guesses;
- is a `matching_export` record held by the purpose (`matched_at` is the retention anchor, P0D in the
  bank pack), with a time to live of its own: `mark_matched` deletes it at once, and `purge_expired`
  (for a job or the retention sweeper, which leaves this kind to its domain) deletes what is matched,
  past its TTL, or no longer held by any purpose.

Every step (create, download, mark matched, purge) writes an audit row in the caller's transaction.
Functions take the caller's `session` and never commit.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import zip_longest

from pydantic import BaseModel
from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.consent import service as consent_service
from tillit.core.clock import Clock
from tillit.core.crypto import FieldCipher
from tillit.core.errors import NotFoundError, ValidationFailedError
from tillit.core.identifiers import try_normalise
from tillit.core.ids import new_id
from tillit.marketing.analytics_models import MatchingExport
from tillit.policy.schema import Policy, Purpose
from tillit.retention import service as retention_service
from tillit.subjects import service as subjects_service

PURPOSE = "customer_matching"
RECORD_KIND = "matching_export"
DEFAULT_TTL = timedelta(days=7)
MAX_TTL = timedelta(days=30)
CSV_HEADER = ("email_sha256", "phone_sha256")
PURGE_ACTOR = Actor(type="job", id="matching-purge")
_CIPHER_INFO = b"tillit/marketing-matching-export/v1"


class ExportRead(BaseModel):
    id: str
    recipient: str
    purpose: str
    created_at: datetime
    expires_at: datetime
    matched_at: datetime | None
    downloaded_at: datetime | None
    row_count: int
    deleted: bool = False


def sha256_hex(kind: str, value: str, *, default_region: str | None = None) -> str | None:
    """Plain SHA-256 (hex) of the normalised e-mail or phone number, or None for an invalid value."""
    canonical = try_normalise(kind, value, default_region=default_region)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest() if canonical is not None else None


def allowed_subject_ids(policy: Policy, purpose: str = PURPOSE) -> Select[str]:
    """Subjects of the purpose's data-subject kinds that the purpose may use on every channel it declares."""
    spec = policy.purpose(purpose)
    allowed: Select[str] = subjects_service.subject_ids_where(kinds=spec.data_subjects or None)
    channels: list[str | None] = list(spec.channels) or [None]
    for channel in channels:
        allowed = consent_service.allowed_subject_ids(policy, spec.id, channel, allowed)
    return allowed


def create_export(
    session: Session,
    policy: Policy,
    *,
    recipient: str,
    actor: Actor,
    clock: Clock,
    secret: str,
    ttl: timedelta = DEFAULT_TTL,
    purpose: str = PURPOSE,
) -> ExportRead:
    """Build, encrypt and store the hashed list for `recipient` (one of the purpose's recipients)."""
    spec = _matching_purpose(policy, purpose)
    if recipient not in spec.recipients:
        raise ValidationFailedError(
            f"'{recipient}' is not a recipient of '{spec.id}' (recipients: {', '.join(spec.recipients)})",
            details={"field": "recipient"},
        )
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValidationFailedError(
            f"the time to live must be between 1 second and {MAX_TTL.days} days", details={"field": "ttl"}
        )
    region = policy.organisation.country
    rows: set[tuple[str, str]] = set()
    subjects = 0
    for subject_id in session.scalars(allowed_subject_ids(policy, spec.id)).all():
        identities = subjects_service.identities_of(session, subject_id, secret=secret)
        emails = sorted({h for v in identities.get("email", []) if (h := sha256_hex("email", v)) is not None})
        phones = sorted(
            {h for v in identities.get("phone", []) if (h := sha256_hex("phone", v, default_region=region))}
        )
        pairs = {(e or "", p or "") for e, p in zip_longest(emails, phones)}
        if pairs:
            subjects += 1
            rows |= pairs
    now = clock.now()
    export_id = new_id()
    export = MatchingExport(
        id=export_id,
        recipient=recipient,
        purpose=spec.id,
        created_at=now,
        created_by=actor.id,
        expires_at=now + ttl,
        matched_at=None,
        downloaded_at=None,
        row_count=len(rows),
        payload_enc=_cipher(secret).encrypt(_csv(sorted(rows)), context=_context(export_id)),
    )
    session.add(export)
    session.flush()
    _assign_holds(session, policy, export, clock)
    _audit(session, actor, "matching_export.create", export, clock, subjects=subjects)
    return _read(export)


def download_csv(
    session: Session, policy: Policy, export_id: str, *, actor: Actor, clock: Clock, secret: str
) -> str:
    """The export's CSV of hashes (header `email_sha256,phone_sha256`), while it is live (audited)."""
    export = _live(session, policy, export_id, clock)
    text = _cipher(secret).decrypt(export.payload_enc, context=_context(export.id))
    export.downloaded_at = clock.now()
    session.flush()
    _audit(session, actor, "matching_export.download", export, clock)
    return text


def mark_matched(
    session: Session, policy: Policy, export_id: str, *, actor: Actor, clock: Clock
) -> ExportRead:
    """Record that the recipient finished matching, and delete the list at once (audited twice: the
    matching and the deletion). The returned snapshot says `deleted`."""
    export = _live(session, policy, export_id, clock)
    export.matched_at = clock.now()
    session.flush()
    _assign_holds(session, policy, export, clock)
    _audit(session, actor, "matching_export.matched", export, clock)
    snapshot = _read(export)
    _delete(session, export, actor, clock, reason="matched")
    return snapshot.model_copy(update={"deleted": True})


def purge_expired(session: Session, clock: Clock, *, actor: Actor = PURGE_ACTOR) -> int:
    """Delete every export that is matched, past its time to live, or held by no purpose any more;
    how many. Idempotent, for a periodic job or the retention sweeper."""
    now = clock.now()
    count = 0
    for export in session.scalars(select(MatchingExport).order_by(MatchingExport.created_at)).all():
        if export.matched_at is not None:
            reason = "matched"
        elif export.expires_at <= now:
            reason = "ttl"
        elif not retention_service.is_record_alive(
            session, record_type=RECORD_KIND, record_id=export.id, clock=clock
        ):
            reason = "retention"
        else:
            continue
        _delete(session, export, actor, clock, reason=reason)
        count += 1
    return count


def erase_exports(
    session: Session, export_ids: Sequence[str], *, clock: Clock, actor: Actor = PURGE_ACTOR
) -> dict[str, int]:
    """Delete these exports (one audit row each, as every purge has) and forget their holds, set-based;
    rows per table. For the retention sweeper, which calls it once no purpose holds the exports; ids
    already gone are ignored, so a rerun after a crash is harmless."""
    ids = list(export_ids)
    if not ids:
        return {}
    exports = session.scalars(select(MatchingExport).where(MatchingExport.id.in_(ids))).all()
    for export in exports:
        _audit(session, actor, "matching_export.purge", export, clock, reason="retention")
    result = session.execute(
        delete(MatchingExport)
        .where(MatchingExport.id.in_([e.id for e in exports]))
        .execution_options(synchronize_session=False)
    )
    for export in exports:
        session.expunge(export)
    retention_service.forget_records(session, record_type=RECORD_KIND, record_ids=ids)
    return {MatchingExport.__tablename__: int(getattr(result, "rowcount", 0) or 0)}


def list_exports(session: Session) -> list[ExportRead]:
    """Every stored export (no contents), newest first."""
    stmt = select(MatchingExport).order_by(MatchingExport.created_at.desc(), MatchingExport.id)
    return [_read(e) for e in session.scalars(stmt).all()]


def expired_count(session: Session, clock: Clock) -> int:
    """How many exports `purge_expired` would delete by TTL or match now (for a status line)."""
    stmt = select(MatchingExport.id).where(
        or_(MatchingExport.matched_at.is_not(None), MatchingExport.expires_at <= clock.now())
    )
    return len(session.scalars(stmt).all())


def _matching_purpose(policy: Policy, purpose: str) -> Purpose:
    spec = policy.purpose(purpose)
    if RECORD_KIND not in spec.records:
        raise ValidationFailedError(
            f"purpose '{spec.id}' does not hold '{RECORD_KIND}' records (no customer matching here)",
            details={"purpose": spec.id},
        )
    return spec


def _live(session: Session, policy: Policy, export_id: str, clock: Clock) -> MatchingExport:
    """The export if it exists, is not matched, not past its TTL, and its purpose still holds it; a
    list past any of these is as good as deleted, so it answers NotFoundError like a deleted one."""
    export = session.get(MatchingExport, export_id)
    if (
        export is None
        or export.matched_at is not None
        or export.expires_at <= clock.now()
        or not retention_service.can_read(
            session, policy, export.purpose, record_type=RECORD_KIND, record_id=export.id, clock=clock
        )
    ):
        raise NotFoundError("no such matching export (it may have been matched or expired)")
    return export


def _assign_holds(session: Session, policy: Policy, export: MatchingExport, clock: Clock) -> None:
    retention_service.assign_holds(
        session,
        policy,
        record_type=RECORD_KIND,
        record_id=export.id,
        facts={
            "recipient": export.recipient,
            "matched_at": export.matched_at,
            "created_at": export.created_at,
        },
        clock=clock,
    )


def _delete(session: Session, export: MatchingExport, actor: Actor, clock: Clock, *, reason: str) -> None:
    _audit(session, actor, "matching_export.purge", export, clock, reason=reason)
    retention_service.forget_record(session, record_type=RECORD_KIND, record_id=export.id)
    session.delete(export)
    session.flush()


def _audit(
    session: Session, actor: Actor, action: str, export: MatchingExport, clock: Clock, **extra: object
) -> None:
    audit_service.record_as(
        session,
        actor,
        action,
        purpose=export.purpose,
        record_type=RECORD_KIND,
        record_id=export.id,
        detail={"recipient": export.recipient, "rows": export.row_count, **extra},
        clock=clock,
    )


def _csv(rows: list[tuple[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def _cipher(secret: str) -> FieldCipher:
    return FieldCipher(secret, info=_CIPHER_INFO)


def _context(export_id: str) -> str:
    return f"{MatchingExport.__tablename__}/payload/{export_id}"


def _read(export: MatchingExport) -> ExportRead:
    return ExportRead(
        id=export.id,
        recipient=export.recipient,
        purpose=export.purpose,
        created_at=export.created_at,
        expires_at=export.expires_at,
        matched_at=export.matched_at,
        downloaded_at=export.downloaded_at,
        row_count=export.row_count,
    )
