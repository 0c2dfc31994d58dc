"""Erasure (Art. 17): end every hold no legal obligation keeps, delete what nothing keeps any more, and
say what remains and why.

Per record: `retention.service.end_holds(reason="erasure")` ends the holds of every purpose except those
resting on a legal obligation, which it reports as kept with the law the policy names (the bookkeeping
act for invoices, the logging order for telecom location data). A record no hold keeps is deleted at
once through its own domain: conversations through `conversations.service` (parts of a conversation
that is kept are deleted on their own), consent records through `consent.service`, dataset rows through
the audited connector, the subject (with its identifiers) through `subjects.service` once nothing of
theirs is kept. What is never deleted here, and why, is reported too: the audit log (append-only
evidence of who read or changed the data, Art. 5(2)) and the rights requests themselves (evidence that
this request was handled).

Legal holds (`retention.legal`: litigation, an authority's order) suspend deletion: a record under an
active legal hold, or every record of a subject under one, is not deleted here. Its purpose holds still
end (the person asked for erasure, so once the legal hold is released the sweeper deletes it), and it
is reported as kept with the authority and its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tillit.consent import service as consent_service
from tillit.conversations import service as conversations_service
from tillit.datasets import service as datasets_service
from tillit.retention import legal as legal_holds
from tillit.retention import service as retention_service
from tillit.rights.change import processors_for
from tillit.rights.collect import Section, collect
from tillit.rights.context import Context
from tillit.rights.schemas import ProcessorNotifier, TableLine
from tillit.subjects import service as subjects_service

AUDIT_REASON = "Audit log: append-only evidence of who read or changed the data (GDPR Art. 5(2))"
REQUEST_REASON = "Rights requests: evidence that the request was received and handled (GDPR Art. 5(2))"
ORDER = ("conversation_ip", "handoff_contact", "feedback", "conversation", "consent_record")


LEGAL_HOLD_LIMIT = 100_000


@dataclass(frozen=True)
class LegalHolds:
    """The active legal holds bearing on this subject: on the subject as a whole, or on named records."""

    subject: str | None
    records: dict[tuple[str, str], str]

    def reason(self, record_type: str, record_id: str) -> str | None:
        return self.records.get((record_type, record_id)) or self.subject


def legal_holds_for(ctx: Context) -> LegalHolds:
    subject: str | None = None
    records: dict[tuple[str, str], str] = {}
    for hold in legal_holds.list_holds(ctx.session, include_released=False, limit=LEGAL_HOLD_LIMIT):
        text = f"Legal hold ({hold.authority}): {hold.reason}"
        if hold.subject_id is not None and hold.subject_id == ctx.subject_id:
            subject = text
        elif hold.record_type is not None and hold.record_id is not None:
            records[(hold.record_type, hold.record_id)] = text
    return LegalHolds(subject=subject, records=records)


def run(ctx: Context, notifier: ProcessorNotifier | None) -> list[TableLine]:
    sections = {s.record_type: s for s in collect(ctx)}
    legal = legal_holds_for(ctx)
    lines: list[TableLine] = []
    kept_any = False
    erased_kinds: list[str] = []
    for kind in (*ORDER, *(d.id for d in ctx.policy.datasets)):
        section = sections.get(kind)
        if section is None:
            continue
        line = _erase_section(ctx, section, legal)
        kept_any = kept_any or line.kept > 0
        if line.deleted:
            erased_kinds.append(kind)
        lines.append(line)
    consent_line = lines_by(lines, "consent_record")
    events = sections["consent_event"]
    lines.append(
        TableLine(
            source="tillit",
            record_type="consent_event",
            table="consent_event",
            found=len(events.rows),
            deleted=len(events.rows) if consent_line is not None and not consent_line.kept else 0,
            kept=len(events.rows) if consent_line is not None and consent_line.kept else 0,
            kept_reasons=consent_line.kept_reasons if consent_line is not None else [],
            note="deleted with their consent records",
        )
    )
    lines.append(_subject(ctx, sections["subject"], kept_any))
    if lines[-1].deleted:
        erased_kinds.append("subject")
    for kind, reason in (("rights_request", REQUEST_REASON), ("audit_event", AUDIT_REASON)):
        s = sections[kind]
        lines.append(
            TableLine(
                source="tillit",
                record_type=kind,
                table=s.table,
                found=len(s.rows),
                kept=len(s.rows),
                kept_reasons=[reason] if s.rows else [],
            )
        )
    if notifier is not None and erased_kinds:
        payload = {"request_id": ctx.request.id, "subject_id": ctx.subject_id, "record_types": erased_kinds}
        for recipient_id in processors_for(ctx.policy):
            notifier.notify(recipient_id, "erasure", payload)
            ctx.notified.append(recipient_id)
    return lines


def lines_by(lines: list[TableLine], kind: str) -> TableLine | None:
    return next((line for line in lines if line.record_type == kind), None)


def _erase_section(ctx: Context, section: Section, legal: LegalHolds) -> TableLine:
    free: list[str] = []
    kept = 0
    reasons: list[str] = []
    for row in section.rows:
        held_by_law = legal.reason(section.record_type, row.id)
        result = retention_service.end_holds(
            ctx.session,
            ctx.policy,
            record_type=section.record_type,
            record_id=row.id,
            reason="erasure",
            clock=ctx.clock,
        )
        if held_by_law is not None:
            kept += 1
            if held_by_law not in reasons:
                reasons.append(held_by_law)
        elif result.record_alive:
            kept += 1
            for hold in result.kept:
                text = _local(ctx, hold.legal_obligation) or _local(ctx, hold.purpose_name) or hold.purpose
                if text not in reasons:
                    reasons.append(text)
            if not result.kept:
                reasons.append("kept by a hold that erasure cannot end")
        else:
            free.append(row.id)
    deleted = _delete(ctx, section)(free) if free else 0
    return TableLine(
        source=section.source,
        record_type=section.record_type,
        table=section.table,
        found=len(section.rows),
        deleted=deleted,
        kept=kept,
        kept_reasons=reasons,
        purposes=section.purposes,
    )


def _delete(ctx: Context, section: Section) -> Callable[[list[str]], int]:
    kind = section.record_type
    if kind == "conversation":

        def conversations(ids: list[str]) -> int:
            for conversation_id in ids:
                conversations_service.erase(ctx.session, conversation_id)
            return len(ids)

        return conversations
    if kind in ("conversation_ip", "handoff_contact", "feedback"):
        return lambda ids: sum(conversations_service.erase_many(ctx.session, kind, ids).values())
    if kind == "consent_record":
        return lambda ids: len(ids) if consent_service.erase_records(ctx.session, ids) is not None else 0
    dataset = ctx.policy.dataset(kind)

    def rows(ids: list[str]) -> int:
        deleted = datasets_service.delete_by_keys(
            ctx.session,
            dataset,
            ids,
            actor=ctx.actor,
            reason="erasure",
            clock=ctx.clock,
            subject_id=ctx.subject_id,
        )
        for record_id in ids:
            retention_service.forget_record(ctx.session, record_type=kind, record_id=record_id)
        return deleted

    return rows


def _subject(ctx: Context, section: Section, kept_any: bool) -> TableLine:
    """The subject and its identifiers go when nothing of theirs is kept; otherwise they stay so the
    kept records can still be found for the next request (the identity is the key to them)."""
    line = _erase_section_subject(ctx, section)
    if line.kept or kept_any:
        reasons = line.kept_reasons or ["identifiers kept while records kept under a legal obligation remain"]
        return line.model_copy(update={"kept": 1, "deleted": 0, "kept_reasons": reasons})
    subjects_service.delete_subject(ctx.session, ctx.subject_id)
    retention_service.forget_record(ctx.session, record_type="subject", record_id=ctx.subject_id)
    return line.model_copy(update={"deleted": 1})


def _erase_section_subject(ctx: Context, section: Section) -> TableLine:
    reasons: list[str] = []
    alive = False
    for row in section.rows:
        result = retention_service.end_holds(
            ctx.session,
            ctx.policy,
            record_type="subject",
            record_id=row.id,
            reason="erasure",
            clock=ctx.clock,
        )
        alive = alive or result.record_alive
        reasons.extend(_local(ctx, h.legal_obligation) or h.purpose for h in result.kept)
    return TableLine(
        source="tillit",
        record_type="subject",
        table=section.table,
        found=len(section.rows),
        kept=1 if alive else 0,
        kept_reasons=reasons,
        purposes=section.purposes,
    )


def _local(ctx: Context, text: dict[str, str] | None) -> str | None:
    if not text:
        return None
    return (
        text.get(ctx.lang) or text.get(ctx.policy.organisation.default_language) or next(iter(text.values()))
    )
