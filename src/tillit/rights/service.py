"""Rights request use cases: file, verify, extend, list; preview, execute and package.

Every function takes `session` and joins the caller's transaction (never commits): filing a request and
its audit row, or executing it with every deletion, hold change, evidence row and audit row, is one
transaction the caller commits (DESIGN §2).

API notes (additions to the agreed signatures, all optional keywords):
- `file_request(..., secret=None)`: the requester's e-mail and the request's details (a rectified value
  is personal data) are stored encrypted, so filing either needs `secret`.
- `reject(...)` and `evidence(...)` exist for the console; `list_requests(..., subject_id=None)` lets the
  privacy centre list a person's own requests.
- `ProcessorNotifier` is defined in `schemas` (re-exported here) so intake code can type against it
  without importing the service.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.core.clock import Clock
from tillit.core.crypto import FieldCipher
from tillit.core.errors import ConflictError, NotFoundError, ValidationFailedError
from tillit.core.ids import new_id
from tillit.policy.schema import Policy
from tillit.retention import service as retention_service
from tillit.rights import execution, package, repository, rules
from tillit.rights.collect import expand_identities
from tillit.rights.context import Context
from tillit.rights.models import RightsRequest
from tillit.rights.schemas import (
    REQUEST_TYPES,
    STATUSES,
    Evidence,
    EvidenceRow,
    Preview,
    ProcessorNotifier,
    RequestCreate,
    RequestRead,
    RequestType,
    Status,
)
from tillit.subjects import service as subjects_service

__all__ = [
    "ProcessorNotifier",
    "access_package",
    "erase_requests",
    "evidence",
    "execute",
    "extend",
    "file_request",
    "get",
    "list_requests",
    "mark_extension_notified",
    "mark_verified",
    "portability_package",
    "preview",
    "reject",
    "start_verification",
]

RIGHTS_REQUEST = "rights_request"


def file_request(
    session: Session,
    policy: Policy,
    data: RequestCreate,
    *,
    clock: Clock,
    actor: str,
    secret: str | None = None,
) -> RequestRead:
    """Record a request as received now; its clock starts at once (Art. 12(3)).

    `actor` says who filed it (`customer:<id>`, `staff:<id>`, `web_form`). ValidationFailedError for a
    language the notice is not in, details that do not fit the type, or an unknown subject.
    """
    if data.language not in policy.languages:
        raise ValidationFailedError(
            f"language '{data.language}' is not offered (languages: {', '.join(policy.languages)})",
            details={"field": "language"},
        )
    execution.check_details(policy, data.type, data.details)
    if data.subject_id is None and data.requester_email is None:
        raise ValidationFailedError(
            "a request needs the subject or an e-mail address to answer", details={"field": "subject_id"}
        )
    if data.subject_id is not None:
        subjects_service.kind_of(session, data.subject_id) or _no_subject(data.subject_id)
    if (data.requester_email or data.details) and secret is None:
        raise ValidationFailedError("filing a request with an e-mail address or details needs the secret")
    now = clock.now()
    request_id = new_id()
    cipher = FieldCipher(secret) if secret is not None else None
    row = RightsRequest(
        id=request_id,
        type=data.type,
        channel=data.channel,
        status="received",
        subject_id=data.subject_id,
        language=data.language,
        requester_email_enc=(
            cipher.encrypt(data.requester_email, context=f"rights_request/email/{request_id}")
            if cipher is not None and data.requester_email
            else None
        ),
        details_enc=(
            cipher.encrypt(
                json.dumps(data.details, sort_keys=True), context=f"rights_request/details/{request_id}"
            )
            if cipher is not None and data.details
            else None
        ),
        filed_by=actor[:80],
        received_at=now,
        extended_until=None,
        extension_reason=None,
        extension_notified_at=None,
        paused_seconds=0,
        verification_started_at=None,
        due_at=rules.due_at(now),
        completed_at=None,
        rejected_reason=None,
    )
    repository.add(session, row)
    _audit(session, row, "rights.filed", clock, detail={"type": data.type, "channel": data.channel})
    return _read(row, now)


def start_verification(session: Session, request_id: str, *, clock: Clock) -> RequestRead:
    """The identity is being checked (e.g. a one-time code sent): the clock pauses until verified."""
    row = _require(session, request_id, for_update=True)
    _open(row)
    if row.verification_started_at is None:
        row.verification_started_at = clock.now()
        row.status = "verifying"
        session.flush()
        _audit(session, row, "rights.verification_started", clock)
    return _read(row, clock.now())


def mark_verified(session: Session, request_id: str, *, subject_id: str, clock: Clock) -> RequestRead:
    """The identity is confirmed as `subject_id`: the clock resumes and the deadline moves by the pause."""
    row = _require(session, request_id, for_update=True)
    _open(row)
    subjects_service.kind_of(session, subject_id) or _no_subject(subject_id)
    if row.subject_id is not None and row.subject_id != subject_id:
        raise ConflictError("the request was filed for another subject")
    now = clock.now()
    if row.verification_started_at is not None:
        row.paused_seconds += rules.pause_seconds(row.verification_started_at, now)
        row.verification_started_at = None
    row.subject_id = subject_id
    row.status = "in_progress"
    _refresh_due(row)
    session.flush()
    _audit(session, row, "rights.verified", clock, detail={"paused_seconds": row.paused_seconds})
    return _read(row, now)


def extend(session: Session, request_id: str, *, reason: str, clock: Clock) -> RequestRead:
    """Extend the deadline by two further months (Art. 12(3)); only within the first month, once.

    The caller tells the person the reason and then calls `mark_extension_notified`.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationFailedError(
            "an extension needs a reason the person will be told", details={"field": "reason"}
        )
    row = _require(session, request_id, for_update=True)
    _open(row)
    now = clock.now()
    if not rules.may_extend(
        row.received_at, _paused(row, now), now, already_extended=row.extended_until is not None
    ):
        raise ConflictError(
            "the deadline can be extended only once, and only within the first month after receipt"
        )
    row.extension_reason = reason[:2000]
    row.extended_until = rules.due_at(row.received_at, paused_seconds=row.paused_seconds, extended=True)
    _refresh_due(row)
    session.flush()
    _audit(session, row, "rights.extended", clock)
    return _read(row, now)


def mark_extension_notified(session: Session, request_id: str, *, clock: Clock) -> RequestRead:
    """Record that the person was told of the extension and why (refused after the first month)."""
    row = _require(session, request_id, for_update=True)
    if row.extended_until is None:
        raise ConflictError("the request has not been extended")
    now = clock.now()
    if not rules.may_notify_extension(row.received_at, _paused(row, now), now):
        raise ConflictError("the notice of an extension must be sent within the first month")
    row.extension_notified_at = now
    session.flush()
    _audit(session, row, "rights.extension_notified", clock)
    return _read(row, now)


def reject(session: Session, request_id: str, *, reason: str, clock: Clock) -> RequestRead:
    """Close the request without executing it (identity not confirmed, manifestly unfounded), with why."""
    row = _require(session, request_id, for_update=True)
    _open(row)
    row.status = "rejected"
    row.rejected_reason = reason.strip()[:2000] or "rejected"
    row.completed_at = clock.now()
    if row.verification_started_at is not None:
        row.paused_seconds += rules.pause_seconds(row.verification_started_at, row.completed_at)
        row.verification_started_at = None
    session.flush()
    _audit(session, row, "rights.rejected", clock)
    return _read(row, clock.now())


def list_requests(
    session: Session,
    *,
    status: Status | None = None,
    type: RequestType | None = None,
    overdue: bool | None = None,
    clock: Clock,
    subject_id: str | None = None,
    limit: int = 500,
) -> list[RequestRead]:
    """Requests by deadline, soonest first; `overdue` filters on the flag computed now."""
    if status is not None and status not in STATUSES:
        raise ValidationFailedError(f"unknown status '{status}'", details={"field": "status"})
    if type is not None and type not in REQUEST_TYPES:
        raise ValidationFailedError(f"unknown request type '{type}'", details={"field": "type"})
    now = clock.now()
    rows = repository.listing(session, status=status, type_=type, subject_id=subject_id, limit=limit)
    result = [_read(r, now) for r in rows]
    if overdue is not None:
        result = [r for r in result if r.overdue == overdue]
    return result


def get(session: Session, request_id: str, *, clock: Clock) -> RequestRead:
    return _read(_require(session, request_id), clock.now())


def evidence(session: Session, request_id: str) -> list[EvidenceRow]:
    """The append-only evidence rows of a request, in the order they were written."""
    _require(session, request_id)
    return [EvidenceRow.model_validate(r) for r in repository.evidence(session, request_id)]


def preview(session: Session, policy: Policy, request_id: str, *, clock: Clock, secret: str) -> Preview:
    """What execution would find and do, per table and dataset; changes nothing (reads are audited)."""
    ctx = _context(session, policy, request_id, clock=clock, secret=secret, actor=Actor.system("rights"))
    return execution.preview(ctx)


def execute(
    session: Session,
    policy: Policy,
    request_id: str,
    *,
    actor: str,
    clock: Clock,
    secret: str,
    notifier: ProcessorNotifier | None = None,
) -> Evidence:
    """Carry the request out, write its evidence and complete it (see `execution` per type)."""
    ctx = _context(session, policy, request_id, clock=clock, secret=secret, actor=_actor(actor), lock=True)
    lines = execution.run(ctx, notifier)
    row = _require(session, request_id, for_update=True)
    now = clock.now()
    rows = execution.write_evidence(session, ctx, lines, now)
    row.status = "completed"
    row.completed_at = now
    session.flush()
    _audit(
        session, row, "rights.executed", clock, detail={"tables": len(lines), "notified": len(ctx.notified)}
    )
    return Evidence(
        request=_read(row, now), executed_at=now, actor=actor, lines=lines, notified=ctx.notified, rows=rows
    )


def access_package(session: Session, policy: Policy, request_id: str, *, clock: Clock, secret: str) -> bytes:
    """A zip with `data.json` (every record, with purposes, legal basis, recipients, source and
    retention) and `index.html` (the same, readable, in the request's language)."""
    ctx = _context(session, policy, request_id, clock=clock, secret=secret, actor=Actor.system("rights"))
    return package.access_zip(ctx)


def portability_package(
    session: Session, policy: Policy, request_id: str, *, clock: Clock, secret: str
) -> bytes:
    """A zip with the data the person provided, as `data.json` and one CSV per table."""
    ctx = _context(session, policy, request_id, clock=clock, secret=secret, actor=Actor.system("rights"))
    return package.portability_zip(ctx)


def erase_requests(session: Session, request_ids: Sequence[str]) -> dict[str, int]:
    """Delete requests whose retention has ended, with everything that is theirs: the evidence (append-only
    only while its request exists), the encrypted e-mail and details (columns of the request row), the
    e-mail verification codes and finished webhook deliveries; forget their holds. Rows per table.

    For the retention sweeper, which checks the requests are expired and writes the proof of deletion. No
    audit row per request: the sweeper's proof and audit row say how many went, and an audit row naming a
    request would outlive it only to point at nothing."""
    ids = list(request_ids)
    if not ids:
        return {}
    counts = repository.delete_requests(session, ids)
    retention_service.forget_records(session, record_type=RIGHTS_REQUEST, record_ids=ids)
    return {table: n for table, n in counts.items() if n}


# --- helpers ---------------------------------------------------------------------------------------------


def _context(
    session: Session,
    policy: Policy,
    request_id: str,
    *,
    clock: Clock,
    secret: str,
    actor: Actor,
    lock: bool = False,
) -> Context:
    row = _require(session, request_id, for_update=lock)
    if lock:
        _open(row)
    if row.subject_id is None:
        raise ConflictError("the requester's identity has not been verified yet")
    if row.status == "verifying":
        raise ConflictError("the requester's identity is still being verified")
    details: dict[str, Any] = {}
    if row.details_enc is not None:
        details = json.loads(
            FieldCipher(secret).decrypt(row.details_enc, context=f"rights_request/details/{row.id}")
        )
    identities = expand_identities(
        session,
        policy,
        subjects_service.identities_of(session, row.subject_id, secret=secret),
        actor=actor,
        clock=clock,
        subject_id=row.subject_id,
    )
    audit_service.record_as(
        session,
        actor,
        "subject.identities_read",
        purpose=None,
        subject_id=row.subject_id,
        record_type=RIGHTS_REQUEST,
        record_id=row.id,
        detail={"kinds": sorted(identities)},
        clock=clock,
    )
    return Context(
        session=session,
        policy=policy,
        request=_read(row, clock.now()),
        subject_id=row.subject_id,
        identities=identities,
        details=details,
        clock=clock,
        secret=secret,
        actor=actor,
    )


def _actor(actor: str) -> Actor:
    """`staff:<id>`, `customer:<id>`, `job:<name>`, `system:<name>`; a bare id is a staff member."""
    kind, _, ident = actor.partition(":")
    if ident and kind in ("staff", "customer", "bot", "job", "system"):
        return Actor(type=kind, id=ident)
    return Actor.staff(actor)


def _require(session: Session, request_id: str, *, for_update: bool = False) -> RightsRequest:
    row = repository.get(session, request_id, for_update=for_update)
    if row is None:
        raise NotFoundError(f"no rights request '{request_id}'")
    return row


def _open(row: RightsRequest) -> None:
    if not rules.is_open(row.status):
        raise ConflictError(f"the request is already {row.status}")


def _no_subject(subject_id: str) -> str:
    raise ValidationFailedError(f"no subject '{subject_id}'", details={"field": "subject_id"})


def _paused(row: RightsRequest, now: Any) -> int:
    return int(rules.paused_total(row.paused_seconds, row.verification_started_at, now).total_seconds())


def _refresh_due(row: RightsRequest) -> None:
    """The stored deadline (for sorting and indexes) without a running pause."""
    row.due_at = rules.due_at(
        row.received_at, paused_seconds=row.paused_seconds, extended=row.extended_until is not None
    )


def _read(row: RightsRequest, now: Any) -> RequestRead:
    verifying = row.verification_started_at is not None and row.status == "verifying"
    due = rules.due_at(
        row.received_at,
        paused_seconds=row.paused_seconds,
        verification_started_at=row.verification_started_at if verifying else None,
        extended=row.extended_until is not None,
        now=now,
    )
    return RequestRead(
        id=row.id,
        type=row.type,
        channel=row.channel,
        status=row.status,
        subject_id=row.subject_id,
        language=row.language,
        received_at=row.received_at,
        due_at=due,
        extended_until=row.extended_until,
        extension_reason=row.extension_reason,
        extension_notified_at=row.extension_notified_at,
        paused_seconds=row.paused_seconds,
        verification_started_at=row.verification_started_at,
        completed_at=row.completed_at,
        rejected_reason=row.rejected_reason,
        filed_by=row.filed_by,
        overdue=rules.is_overdue(row.status, due, now, verifying=verifying),
        due_soon=rules.is_due_soon(row.status, due, now) and not verifying,
    )


def _audit(
    session: Session, row: RightsRequest, action: str, clock: Clock, *, detail: dict[str, Any] | None = None
) -> None:
    audit_service.record(
        session,
        actor_type="system",
        actor_id="rights",
        action=action,
        subject_id=row.subject_id,
        record_type=RIGHTS_REQUEST,
        record_id=row.id,
        detail=detail,
        clock=clock,
    )
