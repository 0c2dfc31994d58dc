"""How the sweeper removes one kind of record: through the domain that owns it, never its tables.

tillit's conversation kinds go through `conversations.service.erase_many`, consent records through
`consent.service.erase_records` (with their ledger events); dataset rows through the
datasets connector (`delete_by_keys`, `anonymise_rows`, both audited). The send log (`marketing_send`)
and customer-matching exports (`matching_export`) go through `marketing.service`, rights requests with
their evidence and encrypted fields through `rights.service.erase_requests`, subjects with their
identifiers through `subjects.service.delete_subject`. Each eraser also forgets the records' holds, in
the caller's transaction, and returns rows per table for the proof of deletion.

Subjects: a subject whose own holds have all ended is deleted, but not while tillit still stores another
record of theirs (a conversation, a consent record, a send-log entry... found through the `subject_id`
of its holds, which go with the record). The subject row and its identifiers are the key by which a
rights request finds those records; deleting it first would leave them unfindable until their own holds
end. Such subjects `wait` (counted in the sweep's summary, holds untouched) and go at the first sweep after
their last record does. Subjects are erased after every other kind of a batch, so a subject whose records
end in the same batch goes in that batch. Only `subject_identifier` refers to the subject row (ON DELETE
CASCADE, and `delete_subject` removes the identifiers through the ORM as well), so no foreign key breaks.

Anonymising a conversation (or any tillit kind) is not offered by any pack and has no meaning short of
deleting its text, so a rule that asks for it on a tillit kind deletes, and its proof row says
`delete`: deleting keeps every promise anonymising makes, and the proof says what was done. Only dataset
rows are anonymised in place. A kind with no eraser (one a policy invents that no domain stores) is
reported as skipped and keeps its holds, so nothing is lost silently: the sweep summary and the forecast
show it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from tillit.audit.schemas import Actor
from tillit.consent import service as consent_service
from tillit.conversations import service as conversations_service
from tillit.core.clock import Clock
from tillit.core.errors import ValidationFailedError
from tillit.datasets import service as datasets_service
from tillit.marketing import service as marketing_service
from tillit.policy.schema import Policy, RetentionAction
from tillit.retention import service as retention_service
from tillit.retention import sweep_repository
from tillit.rights import service as rights_service
from tillit.subjects import service as subjects_service

SWEEPER = Actor(type="job", id="retention-sweeper")
CONVERSATION_KINDS = frozenset({"conversation", "conversation_ip", "handoff_contact", "feedback"})
SUBJECT = "subject"
TILLIT_KINDS = CONVERSATION_KINDS | {
    "consent_record",
    "marketing_send",
    "matching_export",
    "rights_request",
    SUBJECT,
}
"""tillit's own record kinds with an eraser here: deleted even where a rule says anonymise."""
ERASE_ORDER = ("conversation_ip", "handoff_contact", "feedback", "conversation")
"""Parts of a conversation before the conversation itself, so each part's own rows are counted by the
proof of the rule that ended it, not by the conversation's. Subjects go after every other kind."""


class CannotEraseError(Exception):
    """This kind of record cannot be swept here; the records are left with their holds."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def sort_key(record_type: str) -> tuple[int, str]:
    if record_type in ERASE_ORDER:
        return (ERASE_ORDER.index(record_type), "")
    if record_type == SUBJECT:
        return (len(ERASE_ORDER) + 1, "")
    return (len(ERASE_ORDER), record_type)


def proof_action(record_type: str, action: RetentionAction) -> RetentionAction:
    """What the eraser really does to this kind under a rule's action: tillit kinds are deleted."""
    return "delete" if record_type in TILLIT_KINDS else action


def waiting(session: Session, record_type: str, record_ids: Sequence[str]) -> set[str]:
    """Expired records that must stay for now although no purpose holds them: subjects that other
    stored records still refer to (see the module's docstring). They keep their holds."""
    if record_type != SUBJECT or not record_ids:
        return set()
    return sweep_repository.subjects_with_other_records(session, record_ids, own_kind=SUBJECT)


def erase(
    session: Session,
    policy: Policy,
    *,
    record_type: str,
    action: RetentionAction,
    record_ids: Sequence[str],
    clock: Clock,
) -> dict[str, int]:
    """Delete or anonymise these records of one kind and forget their holds; rows per table."""
    if record_type in CONVERSATION_KINDS:
        return conversations_service.erase_many(session, record_type, record_ids)
    if record_type == "consent_record":
        return consent_service.erase_records(session, record_ids)
    if record_type == "marketing_send":
        return marketing_service.erase_send_log(session, record_ids)
    if record_type == "matching_export":
        return marketing_service.erase_matching_exports(session, record_ids, clock=clock, actor=SWEEPER)
    if record_type == "rights_request":
        return rights_service.erase_requests(session, record_ids)
    if record_type == SUBJECT:
        return _erase_subjects(session, record_ids)
    dataset = next((d for d in policy.datasets if d.id == record_type), None)
    if dataset is None:
        raise CannotEraseError("no eraser for this kind")
    try:
        if action == "anonymise":
            rows = datasets_service.anonymise_rows(
                session, dataset, record_ids, actor=SWEEPER, reason="retention", clock=clock
            )
        else:
            rows = datasets_service.delete_by_keys(
                session, dataset, record_ids, actor=SWEEPER, reason="retention", clock=clock
            )
    except ValidationFailedError as exc:
        # Raised before any SQL runs (missing table or column, NOT NULL personal column), so the
        # batch's transaction is still clean and the other kinds in it are swept.
        raise CannotEraseError(exc.message) from exc
    retention_service.forget_records(session, record_type=record_type, record_ids=record_ids)
    return {dataset.table: rows}


def _erase_subjects(session: Session, subject_ids: Sequence[str]) -> dict[str, int]:
    """Delete subjects (identifiers with them) that still exist, and forget the holds of all of them.

    One `delete_subject` per subject: `subjects.service` offers no set-based delete yet, and the rows
    loaded are few (a subject and its handful of identifiers). Subjects already gone (erased by a rights
    request between the sweep's read and this batch) are only forgotten."""
    deleted = 0
    for subject_id in subject_ids:
        if subjects_service.kind_of(session, subject_id) is None:
            continue
        subjects_service.delete_subject(session, subject_id)
        deleted += 1
    retention_service.forget_records(session, record_type=SUBJECT, record_ids=subject_ids)
    return {"subject_subject": deleted}
