"""Find everything tillit and the declared datasets hold about one subject, by every identity.

Each domain is asked through its own service: subjects (identities, name), conversations (with messages,
IP address, handoff contact, feedback), consent (current states and the ledger), audit (who read or
changed the data), rights (earlier requests) and every dataset the policy declares, through the audited
connector. Holds are fetched per record kind in a few set-based queries (`holds_by_record`), never one
query per row, so a subject with 100,000 dataset rows is collected in one pass.

Dataset reads need a purpose the dataset declares (the connector enforces it). A rights request is not a
new use of the data: it reads what is held for the purposes it is held for, so we read under the
dataset's first declared purpose (its primary one); the audit row names that purpose and the request.

Not collected, on purpose: chatbot improvement samples (masked and stored with no link to the person or
the conversation, so nothing can find them by identity), and anonymised statistics.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from tillit.audit import service as audit_service
from tillit.consent import service as consent_service
from tillit.conversations import service as conversations_service
from tillit.core.identifiers import SUBJECT_IDENTIFIER_KINDS
from tillit.datasets import service as datasets_service
from tillit.retention import service as retention_service
from tillit.retention.schemas import HoldBrief
from tillit.rights import repository
from tillit.rights.context import Context
from tillit.subjects import service as subjects_service

AUDIT_LIMIT = 10_000


@dataclass(slots=True)
class Row:
    id: str
    data: dict[str, Any]
    holds: list[HoldBrief] = field(default_factory=list)


@dataclass
class Section:
    """One table or dataset: its rows for the subject, and which of its fields the person provided."""

    source: Literal["tillit", "dataset"]
    record_type: str
    table: str
    rows: list[Row]
    purposes: list[str]
    provided: list[str] = field(default_factory=list)
    origin: str | None = None
    """The policy source id (where the data came from), when the policy says."""
    note: str | None = None


@contextmanager
def bulk() -> Iterator[None]:
    """No cyclic garbage collection while a package's records are built.

    A package of 100,000 records allocates a few hundred thousand dicts and tuples, none of them in a
    reference cycle; each allocation burst would start a collection that walks the growing heap again
    (measured: a third of the CPU time of a large package). Reference counting still frees everything;
    the collector runs again as soon as the package is built (it was only paused if it was enabled)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def dataset_purpose(ctx: Context, dataset_id: str) -> str:
    """The purpose a rights request reads a dataset under: its first declared purpose (see module doc)."""
    return ctx.policy.dataset(dataset_id).purposes[0]


def expand_identities(
    session: Any,
    policy: Any,
    identities: dict[str, list[str]],
    *,
    actor: Any,
    clock: Any,
    subject_id: str | None,
) -> dict[str, list[str]]:
    """The subject's identities plus those found in their dataset rows for kinds a subject does not carry
    itself (a parcel's shipment number in the recipient's shipment row): the tracking events of that
    shipment are the person's too, and only that number finds them. Repeated until nothing new appears."""
    result = {k: list(v) for k, v in identities.items()}
    for _ in range(3):
        added = False
        for dataset in policy.datasets:
            derived = [i for i in dataset.identity if i.kind not in SUBJECT_IDENTIFIER_KINDS]
            if not derived or not any(result.get(i.kind) for i in dataset.identity):
                continue
            rows = datasets_service.select_rows(
                session,
                dataset,
                result,
                actor=actor,
                purpose=dataset.purposes[0],
                clock=clock,
                default_region=policy.organisation.country,
                subject_id=subject_id,
            )
            for ident in derived:
                for row in rows:
                    value = row.get(ident.column)
                    if value and str(value) not in result.setdefault(ident.kind, []):
                        result[ident.kind].append(str(value))
                        added = True
        if not added:
            break
    return result


def collect(ctx: Context, *, holds: bool = True, datasets: bool = True) -> list[Section]:
    sections = [_subject(ctx), *_conversations(ctx), *_consent(ctx), _requests(ctx), _audit(ctx)]
    if datasets:
        sections.extend(_datasets(ctx))
    if holds:
        for section in sections:
            if section.rows and section.record_type not in ("audit_event", "consent_event"):
                found = retention_service.holds_by_record(
                    ctx.session, record_type=section.record_type, record_ids=[r.id for r in section.rows]
                )
                for row in section.rows:
                    row.holds = found.get(row.id, [])
    return sections


def _declared(ctx: Context, record_type: str) -> list[str]:
    return [p.id for p in ctx.policy.purposes_holding(record_type)]


def _subject_source(ctx: Context) -> str | None:
    return next((s.id for s in ctx.policy.sources if s.kind == "subject"), None)


def _subject(ctx: Context) -> Section:
    subject = subjects_service.get_subject(ctx.session, ctx.subject_id, secret=ctx.secret)
    data: dict[str, Any] = {
        "kind": subject.kind,
        "display_name": subject.display_name,
        "language": subject.language,
        "identifiers": {k: list(v) for k, v in ctx.identities.items()},
        "restricted": subject.restricted,
        "created_at": subject.created_at,
        "last_seen_at": subject.last_seen_at,
    }
    return Section(
        "tillit",
        "subject",
        "subject_subject",
        [Row(subject.id, data)],
        _declared(ctx, "subject"),
        provided=["display_name", "identifiers", "language"],
        origin=_subject_source(ctx),
    )


def _conversations(ctx: Context) -> list[Section]:
    exported = conversations_service.export_for_subject(ctx.session, ctx.subject_id, secret=ctx.secret)
    conversations, ips, contacts, feedback = [], [], [], []
    for item in exported:
        c = item.conversation
        data = c.model_dump(exclude={"subject_id"})
        data["messages"] = [m.model_dump() for m in item.messages]
        conversations.append(Row(c.id, data))
        if item.ip_address is not None:
            ips.append(Row(c.id, {"conversation_id": c.id, "ip_address": item.ip_address}))
        if item.handoff_contact is not None:
            contacts.append(
                Row(c.id, {"conversation_id": c.id, **item.handoff_contact.model_dump(mode="json")})
            )
        if item.feedback is not None:
            feedback.append(Row(c.id, {"conversation_id": c.id, **item.feedback.model_dump()}))
    if exported:
        audit_service.record_as(
            ctx.session,
            ctx.actor,
            "conversation.export",
            subject_id=ctx.subject_id,
            record_type="conversation",
            detail={"conversations": len(exported), "messages": sum(len(i.messages) for i in exported)},
            clock=ctx.clock,
        )
    origin = _subject_source(ctx)
    return [
        Section(
            "tillit",
            "conversation",
            "conversation_conversation",
            conversations,
            _declared(ctx, "conversation"),
            provided=["messages"],
            origin=origin,
        ),
        Section("tillit", "conversation_ip", "conversation_ip", ips, _declared(ctx, "conversation_ip")),
        Section(
            "tillit",
            "handoff_contact",
            "conversation_handoff_contact",
            contacts,
            _declared(ctx, "handoff_contact"),
            provided=["name", "email", "phone"],
            origin=origin,
        ),
        Section(
            "tillit",
            "feedback",
            "conversation_feedback",
            feedback,
            _declared(ctx, "feedback"),
            provided=["rating", "comment"],
            origin=origin,
        ),
    ]


def _consent(ctx: Context) -> list[Section]:
    states = consent_service.states(ctx.session, subject_id=ctx.subject_id)
    events = consent_service.history(ctx.session, subject_id=ctx.subject_id, limit=AUDIT_LIMIT)
    state_rows = [Row(s.id, s.model_dump(exclude={"subject_id", "visitor_id"})) for s in states]
    event_rows = [Row(e.id, e.model_dump(exclude={"subject_id", "visitor_id"})) for e in reversed(events)]
    return [
        Section(
            "tillit",
            "consent_record",
            "consent_state",
            state_rows,
            _declared(ctx, "consent_record"),
            provided=["purpose", "channel", "state", "since"],
            origin=_subject_source(ctx),
        ),
        Section(
            "tillit",
            "consent_event",
            "consent_event",
            event_rows,
            _declared(ctx, "consent_record"),
            provided=["purpose", "channel", "action", "occurred_at"],
            origin=_subject_source(ctx),
            note="ledger",
        ),
    ]


def _requests(ctx: Context) -> Section:
    rows = [
        Row(
            r.id,
            {
                "type": r.type,
                "channel": r.channel,
                "status": r.status,
                "received_at": r.received_at,
                "completed_at": r.completed_at,
            },
        )
        for r in repository.listing(
            ctx.session, status=None, type_=None, subject_id=ctx.subject_id, limit=1000
        )
    ]
    return Section("tillit", "rights_request", "rights_request", rows, _declared(ctx, "rights_request"))


def _audit(ctx: Context) -> Section:
    events = audit_service.events_for_subject(ctx.session, ctx.subject_id, limit=AUDIT_LIMIT)
    rows = [
        Row(
            str(e.seq),
            {
                "at": e.at,
                "actor_type": e.actor_type,
                "action": e.action,
                "purpose": e.purpose,
                "record_type": e.record_type,
                "record_id": e.record_id,
            },
        )
        for e in events
    ]
    return Section("tillit", "audit_event", "audit_event", rows, [], note="audit")


def _datasets(ctx: Context) -> list[Section]:
    sections = []
    for dataset in ctx.policy.datasets:
        rows = datasets_service.select_rows(
            ctx.session,
            dataset,
            ctx.identities,
            actor=ctx.actor,
            purpose=dataset_purpose(ctx, dataset.id),
            clock=ctx.clock,
            default_region=ctx.region,
            subject_id=ctx.subject_id,
        )
        provided = (
            list(datasets_service.personal_columns(dataset))
            if dataset.source is not None and _is_subject_source(ctx, dataset.source)
            else []
        )
        sections.append(
            Section(
                "dataset",
                dataset.id,
                dataset.table,
                [Row(str(r[dataset.primary_key]), r) for r in rows],
                list(dataset.purposes),
                provided=provided,
                origin=dataset.source,
            )
        )
    return sections


def _is_subject_source(ctx: Context, source_id: str) -> bool:
    return any(s.id == source_id and s.kind == "subject" for s in ctx.policy.sources)
