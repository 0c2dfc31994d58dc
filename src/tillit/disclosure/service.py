"""Disclosure use cases: register a request from an authority, read the records it covers, hand them over.

Kept apart from the rights requests on purpose: a disclosure is not the person's request, the person is
not told, and its legal basis is the logging rules (telecom: the statutory logging purpose), not the
GDPR's rights. Only the `security_officer` role reaches these functions (the entry points check
`disclosure.manage`); here every read of the register or of the records writes an audit row in the same
transaction, naming the officer, the purpose and the subject.

Scope: one subject, one time range, and only the communications (voice, SMS, MMS) with the cell site in
that range, read from the datasets the policy declares for the logging purpose. Data sessions, other
parties and everything else about the subject stay out. Functions take `session` and never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.core.clock import Clock, ensure_utc
from tillit.core.errors import ConflictError, NotFoundError, ValidationFailedError
from tillit.core.ids import new_id
from tillit.datasets import service as datasets_service
from tillit.disclosure.models import DisclosureRequest
from tillit.disclosure.schemas import DisclosedRecord, DisclosureCreate, DisclosureRead
from tillit.policy.schema import Dataset, Policy
from tillit.subjects import service as subjects_service

LOGGING_PURPOSE = "statutory_logging"
COMMUNICATION_KINDS = frozenset({"voice", "sms", "mms"})
RECORD_TYPE = "disclosure_request"


def logging_datasets(policy: Policy) -> list[Dataset]:
    """The datasets kept for the logging purpose; empty when the pack has none (no disclosure then)."""
    if not policy.has_purpose(LOGGING_PURPOSE):
        return []
    return [d for d in policy.datasets if LOGGING_PURPOSE in d.purposes]


def register(
    session: Session, policy: Policy, data: DisclosureCreate, *, staff_id: str, clock: Clock, secret: str
) -> DisclosureRead:
    """Record the request after checking the court order is named and the subject exists."""
    if not logging_datasets(policy):
        raise ValidationFailedError("this organisation's policy declares no statutory logging to disclose")
    if not data.court_order_reference.strip():
        raise ValidationFailedError(
            "a disclosure needs the court order's reference", details={"field": "court_order_reference"}
        )
    subject = subjects_service.find_by_identifier(
        session,
        data.identifier_kind,
        data.identifier,
        secret=secret,
        default_region=policy.organisation.country,
    )
    if subject is None:
        raise ValidationFailedError("no subscriber has that identifier", details={"field": "identifier"})
    row = DisclosureRequest(
        id=new_id(),
        authority=data.authority,
        court_order_reference=data.court_order_reference,
        case_reference=data.case_reference or None,
        subject_id=subject.id,
        period_start=ensure_utc(data.period_start),
        period_end=ensure_utc(data.period_end),
        received_at=clock.now(),
        registered_by=staff_id,
        status="open",
        disclosed_at=None,
        disclosed_by=None,
        disclosed_records=None,
    )
    session.add(row)
    session.flush()
    _audit(session, row, staff_id, "disclosure.registered", clock)
    return DisclosureRead.model_validate(row)


def list_requests(session: Session, *, staff_id: str, clock: Clock, limit: int = 200) -> list[DisclosureRead]:
    """The register, newest first (the read is audited: it names subjects)."""
    rows = session.scalars(
        select(DisclosureRequest).order_by(DisclosureRequest.received_at.desc()).limit(limit)
    ).all()
    audit_service.record(
        session,
        actor_type="staff",
        actor_id=staff_id,
        action="disclosure.list",
        purpose=LOGGING_PURPOSE,
        record_type=RECORD_TYPE,
        detail={"rows": len(rows)},
        clock=clock,
    )
    return [DisclosureRead.model_validate(r) for r in rows]


def get(session: Session, disclosure_id: str, *, staff_id: str, clock: Clock) -> DisclosureRead:
    row = _require(session, disclosure_id)
    _audit(session, row, staff_id, "disclosure.read", clock)
    return DisclosureRead.model_validate(row)


def records(
    session: Session, policy: Policy, disclosure_id: str, *, staff_id: str, clock: Clock, secret: str
) -> list[DisclosedRecord]:
    """The communications with location of the request's subject in its period (audited)."""
    row = _require(session, disclosure_id)
    found = _records(session, policy, row, staff_id=staff_id, clock=clock, secret=secret)
    _audit(session, row, staff_id, "disclosure.records_read", clock, detail={"records": len(found)})
    return found


def disclose(
    session: Session, policy: Policy, disclosure_id: str, *, staff_id: str, clock: Clock, secret: str
) -> tuple[DisclosureRead, list[DisclosedRecord]]:
    """Hand the records over: marks the request disclosed with the count, and returns the records."""
    row = _require(session, disclosure_id)
    found = _records(session, policy, row, staff_id=staff_id, clock=clock, secret=secret)
    if row.status == "disclosed" and row.disclosed_records != len(found):
        raise ConflictError("the records changed since they were disclosed; register a new request")
    if row.status != "disclosed":
        row.status, row.disclosed_at, row.disclosed_by = "disclosed", clock.now(), staff_id
        row.disclosed_records = len(found)
        session.flush()
    _audit(session, row, staff_id, "disclosure.disclosed", clock, detail={"records": len(found)})
    return DisclosureRead.model_validate(row), found


def _records(
    session: Session, policy: Policy, row: DisclosureRequest, *, staff_id: str, clock: Clock, secret: str
) -> list[DisclosedRecord]:
    identities = subjects_service.identities_of(session, row.subject_id, secret=secret)
    start, end = ensure_utc(row.period_start), ensure_utc(row.period_end)
    found: list[DisclosedRecord] = []
    for dataset in logging_datasets(policy):
        rows = datasets_service.select_rows(
            session,
            dataset,
            identities,
            actor=Actor.staff(staff_id),
            purpose=LOGGING_PURPOSE,
            clock=clock,
            default_region=policy.organisation.country,
            subject_id=row.subject_id,
        )
        found.extend(_record(r) for r in rows if _in_scope(r, start, end))
    return sorted(found, key=lambda r: r.started_at)


def _in_scope(row: dict[str, Any], start: datetime, end: datetime) -> bool:
    at = row.get("started_at")
    if not isinstance(at, datetime) or row.get("kind") not in COMMUNICATION_KINDS or not row.get("cell_id"):
        return False
    return start <= ensure_utc(at) < end


def _record(row: dict[str, Any]) -> DisclosedRecord:
    return DisclosedRecord(
        started_at=ensure_utc(row["started_at"]),
        msisdn=row.get("msisdn"),
        kind=row.get("kind"),
        direction=row.get("direction"),
        duration_seconds=row.get("duration_seconds"),
        cell_id=row.get("cell_id"),
        cell_latitude=row.get("cell_latitude"),
        cell_longitude=row.get("cell_longitude"),
    )


def _require(session: Session, disclosure_id: str) -> DisclosureRequest:
    row = session.get(DisclosureRequest, disclosure_id)
    if row is None:
        raise NotFoundError("no such disclosure request")
    return row


def _audit(
    session: Session,
    row: DisclosureRequest,
    staff_id: str,
    action: str,
    clock: Clock,
    *,
    detail: dict[str, Any] | None = None,
) -> None:
    audit_service.record(
        session,
        actor_type="staff",
        actor_id=staff_id,
        action=action,
        purpose=LOGGING_PURPOSE,
        subject_id=row.subject_id,
        record_type=RECORD_TYPE,
        record_id=row.id,
        detail=detail,
        clock=clock,
    )
