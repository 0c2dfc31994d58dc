"""What the advisor console shows about one conversation, read through purposes and audited.

`open_conversation` is the only way the console reads a conversation's content. It joins the caller's
transaction (the router opens `runtime.uow.begin()`), because every read writes an audit row: the
transcript through `conversations.service.audit_staff_read`, the customer's identifiers as
`subject.read`, the queue contact details as `handoff_contact.read`, dataset rows inside
`datasets.service`. What a purpose does not hold, or does not list among its data categories, is not
read at all (rather than read and hidden).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.auth.schemas import Principal
from tillit.conversations import service as conversations_service
from tillit.conversations.schemas import ConversationRead, FeedbackCreate, HandoffContactCreate, MessageRead
from tillit.core.errors import NotFoundError
from tillit.datasets import service as datasets_service
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service
from tillit.subjects.schemas import IdentifierRead
from tillit.web import console_access as access

IDENTIFIER_CATEGORIES: dict[str, str] = {
    "customer_number": "user.unique_id.customer_number",
    "national_id": "user.government_id.national_identification_number",
    "email": "user.contact.email",
    "phone": "user.contact.phone_number",
}
"""The data category of each subject identifier kind, to check it against the purpose's categories."""
NAME_CATEGORY = "user.name"
DATASET_ROWS_SHOWN = 5


def permits(categories: list[str], category: str) -> bool:
    """Does a purpose listing `categories` cover `category`? A parent covers its children
    (`user.contact` covers `user.contact.email`), never the other way round."""
    return any(category == c or category.startswith(c + ".") for c in categories)


@dataclass(frozen=True)
class DatasetExtract:
    dataset_id: str
    name: dict[str, str]
    columns: list[str]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class CustomerContext:
    """The customer as the reading purpose lets an advisor see them: masked identifiers, a few rows."""

    display_name: str | None
    identifiers: list[IdentifierRead]
    datasets: list[DatasetExtract] = field(default_factory=list)


@dataclass(frozen=True)
class ConversationView:
    conversation: ConversationRead
    purpose: str | None
    messages: list[MessageRead]
    customer: CustomerContext | None
    contact: HandoffContactCreate | None
    feedback: FeedbackCreate | None
    can_take: bool
    can_write: bool
    waiting: timedelta | None


def get_openable(session: Session, staff: Principal, conversation_id: str) -> ConversationRead:
    """The conversation if `staff` may open it; NotFoundError otherwise, as if it did not exist, and
    ProcessingRestrictedError when its customer's processing is restricted (after the may-open check, so
    the refusal tells only staff who could open it that it exists)."""
    try:
        conversation = conversations_service.get(session, conversation_id)
    except NotFoundError:
        raise NotFoundError("no such conversation") from None
    if not access.may_open(staff, conversation):
        raise NotFoundError("no such conversation")
    access.refuse_if_restricted(session, conversation)
    return conversation


def open_conversation(
    session: Session, runtime: Runtime, staff: Principal, conversation_id: str, *, after_seq: int = 0
) -> ConversationView:
    """Everything the console shows of a conversation, each part read through its purpose (audited)."""
    policy, clock = runtime.policy, runtime.clock
    conversation = get_openable(session, staff, conversation_id)
    purpose = access.reading_purpose(
        session,
        policy,
        roles=staff.roles,
        record_type=access.CONVERSATION,
        record_id=conversation.id,
        clock=clock,
    )
    messages: list[MessageRead] = []
    customer = None
    if purpose is not None:
        messages = conversations_service.messages(session, conversation.id, after_seq=after_seq)
        conversations_service.audit_staff_read(
            session, conversation, staff_id=staff.id, purpose=purpose, clock=clock
        )
        if conversation.subject_id is not None and after_seq == 0:
            customer = customer_context(session, runtime, staff, conversation.subject_id, purpose)
    # the queue contact is for whoever handles the conversation, not for every advisor browsing the queue
    handles = conversation.advisor_id == staff.id or access.sees_everything(staff)
    contact = _contact(session, runtime, staff, conversation) if handles and after_seq == 0 else None
    feedback = _feedback(session, runtime, staff, conversation) if after_seq == 0 else None
    waiting = (
        clock.now() - conversation.queued_at
        if conversation.status == "queued" and conversation.queued_at
        else None
    )
    return ConversationView(
        conversation=conversation,
        purpose=purpose,
        messages=messages,
        customer=customer,
        contact=contact,
        feedback=feedback,
        can_take=access.may_take(staff, conversation),
        can_write=access.may_write(staff, conversation),
        waiting=waiting,
    )


def customer_context(
    session: Session, runtime: Runtime, staff: Principal, subject_id: str, purpose_id: str
) -> CustomerContext:
    """The subject's identifiers (national ID masked) whose categories the purpose lists, and a few rows of
    each dataset the policy declares for that purpose, limited to the columns whose categories it lists."""
    policy, clock = runtime.policy, runtime.clock
    purpose = policy.purpose(purpose_id)
    categories = purpose.data_categories
    secret = runtime.settings.secret_key
    try:
        subject = subjects_service.get_subject(session, subject_id, secret=secret)
    except NotFoundError:
        return CustomerContext(display_name=None, identifiers=[])
    identifiers = [
        i
        for i in subject.identifiers
        if i.kind in IDENTIFIER_CATEGORIES and permits(categories, IDENTIFIER_CATEGORIES[i.kind])
    ]
    name = subject.display_name if permits(categories, NAME_CATEGORY) else None
    audit_service.record(
        session,
        actor_type="staff",
        actor_id=staff.id,
        action="subject.read",
        purpose=purpose_id,
        subject_id=subject_id,
        record_type="subject",
        record_id=subject_id,
        detail={"kinds": sorted(i.kind for i in identifiers), "name": name is not None},
        clock=clock,
    )
    extracts: list[DatasetExtract] = []
    datasets = [d for d in policy.datasets if purpose_id in d.purposes]
    if datasets:
        identities = subjects_service.identities_of(session, subject_id, secret=secret)
        for dataset in datasets:
            columns = [c for c, category in dataset.fields.items() if permits(categories, category)]
            if not columns:
                continue
            rows = datasets_service.select_rows(
                session,
                dataset,
                identities,
                actor=Actor.staff(staff.id),
                purpose=purpose_id,
                clock=clock,
                default_region=policy.organisation.country,
                subject_id=subject_id,
            )
            shown = [{c: row.get(c) for c in columns} for row in rows[:DATASET_ROWS_SHOWN]]
            extracts.append(DatasetExtract(dataset.id, dict(dataset.name), columns, shown))
    return CustomerContext(display_name=name, identifiers=identifiers, datasets=extracts)


def _contact(
    session: Session, runtime: Runtime, staff: Principal, conversation: ConversationRead
) -> HandoffContactCreate | None:
    """The name, e-mail and phone given in the queue (parcel), if a purpose for staff holds them."""
    purpose = access.reading_purpose(
        session,
        runtime.policy,
        roles=staff.roles,
        record_type="handoff_contact",
        record_id=conversation.id,
        clock=runtime.clock,
    )
    if purpose is None:
        return None
    contact = conversations_service.handoff_contact(
        session, conversation.id, secret=runtime.settings.secret_key
    )
    if contact is not None:
        audit_service.record(
            session,
            actor_type="staff",
            actor_id=staff.id,
            action="handoff_contact.read",
            purpose=purpose,
            subject_id=conversation.subject_id,
            record_type="handoff_contact",
            record_id=conversation.id,
            clock=runtime.clock,
        )
    return contact


def _feedback(
    session: Session, runtime: Runtime, staff: Principal, conversation: ConversationRead
) -> FeedbackCreate | None:
    """The answer to the feedback question, if given and held by a purpose staff may read it through."""
    if conversation.status != "closed":
        return None
    purpose = access.reading_purpose(
        session,
        runtime.policy,
        roles=staff.roles,
        record_type="feedback",
        record_id=conversation.id,
        clock=runtime.clock,
    )
    if purpose is None:
        return None
    feedback = conversations_service.feedback_of(session, conversation.id)
    if feedback is not None:
        audit_service.record(
            session,
            actor_type="staff",
            actor_id=staff.id,
            action="feedback.read",
            purpose=purpose,
            subject_id=conversation.subject_id,
            record_type="feedback",
            record_id=conversation.id,
            clock=runtime.clock,
        )
    return feedback
