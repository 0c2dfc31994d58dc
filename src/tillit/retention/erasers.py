"""How the sweeper removes one kind of record: through the domain that owns it, never its tables.

tillit's conversation kinds go through `conversations.service.erase_many`, consent records through
`consent.service.erase_records` (with their ledger events); dataset rows through the
datasets connector (`delete_by_keys`, `anonymise_rows`, both audited). Each eraser also forgets the
records' holds, in the caller's transaction, and returns rows per table for the proof of deletion.

Anonymising a conversation is not offered by any pack and has no meaning short of deleting its text, so a
rule that asks for it on a tillit kind deletes: deleting keeps every promise anonymising makes. Kinds
with no eraser yet (subjects, rights requests and matching exports belong to domains
that erase them on their own terms) are reported as skipped and keep their holds, so nothing is lost
silently: the sweep summary and the forecast show them.
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
from tillit.policy.schema import Policy, RetentionAction
from tillit.retention import service as retention_service

SWEEPER = Actor(type="job", id="retention-sweeper")
CONVERSATION_KINDS = frozenset({"conversation", "conversation_ip", "handoff_contact", "feedback"})
ERASE_ORDER = ("conversation_ip", "handoff_contact", "feedback", "conversation")
"""Parts of a conversation before the conversation itself, so each part's own rows are counted by the
proof of the rule that ended it, not by the conversation's."""


class CannotEraseError(Exception):
    """This kind of record cannot be swept here; the records are left with their holds."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def sort_key(record_type: str) -> tuple[int, str]:
    return (
        (ERASE_ORDER.index(record_type), "")
        if record_type in ERASE_ORDER
        else (len(ERASE_ORDER), record_type)
    )


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
