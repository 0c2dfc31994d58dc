"""What an advisor does in the console: take, reply, tag, close, log a call or a letter.

Shared by the pages (forms) and the JSON API so both enforce the same rules. Each function joins the
caller's transaction (the router opens `runtime.uow.begin()`): the access check, the change, the holds the
change recomputes (had_advisor, complaint) and any audit row commit together or not at all.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from tillit.auth import service as auth_service
from tillit.auth.schemas import Principal
from tillit.conversations import service as conversations_service
from tillit.conversations.schemas import ConversationRead, MessageRead, QueueEntry
from tillit.core.errors import PermissionDeniedError, ValidationFailedError
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service
from tillit.web import console_access as access
from tillit.web.console_views import get_openable

LoggedChannel = Literal["phone", "letter", "email", "social"]
LOGGED_CHANNELS: tuple[LoggedChannel, ...] = ("phone", "letter", "email", "social")


def _writable(session: Session, staff: Principal, conversation_id: str) -> ConversationRead:
    conversation = get_openable(session, staff, conversation_id)
    if not access.may_write(staff, conversation):
        raise PermissionDeniedError("only the advisor who has taken the conversation can do this")
    return conversation


def take(session: Session, runtime: Runtime, staff: Principal, conversation_id: str) -> ConversationRead:
    """Take a queued conversation (ConflictError when someone else was faster)."""
    conversation = get_openable(session, staff, conversation_id)
    if not auth_service.has_permission(staff, "conversation.take"):
        raise PermissionDeniedError("your role does not allow taking conversations")
    return conversations_service.take(
        session, runtime.policy, conversation.id, advisor_id=staff.id, clock=runtime.clock
    )


def reply(
    session: Session, runtime: Runtime, staff: Principal, conversation_id: str, text: str
) -> MessageRead:
    conversation = _writable(session, staff, conversation_id)
    return conversations_service.add_message(
        session,
        runtime.policy,
        conversation.id,
        author="advisor",
        author_id=staff.id,
        text=text,
        clock=runtime.clock,
    )


def tag(
    session: Session,
    runtime: Runtime,
    staff: Principal,
    conversation_id: str,
    *,
    complaint: bool | None,
    advisory: bool | None,
) -> ConversationRead:
    """Tag complaint/advisory; allowed after closing too (a complaint is often recognised afterwards)."""
    conversation = _writable(session, staff, conversation_id)
    return conversations_service.set_tags(
        session, runtime.policy, conversation.id, clock=runtime.clock, complaint=complaint, advisory=advisory
    )


def close(session: Session, runtime: Runtime, staff: Principal, conversation_id: str) -> ConversationRead:
    conversation = _writable(session, staff, conversation_id)
    return conversations_service.close(session, runtime.policy, conversation.id, clock=runtime.clock)


def queue(session: Session) -> list[QueueEntry]:
    """The queue carries no personal data (position, wait, language, logged in or not): not audited."""
    return conversations_service.queue(session)


def my_conversations(session: Session, runtime: Runtime, staff: Principal) -> list[ConversationRead]:
    """Open conversations of this advisor (of all advisors for a supervisor), readable through the
    advisors' purposes; closed ones of the advisor's own too, recent first."""
    purposes = access.advisor_purposes(runtime.policy, staff.roles)
    advisor_id = None if access.sees_everything(staff) else staff.id
    return conversations_service.staff_conversations(
        session,
        runtime.policy,
        purposes=purposes,
        clock=runtime.clock,
        advisor_id=advisor_id,
        statuses=("with_advisor", "closed"),
        limit=30,
    )


def identifier_kind(value: str) -> str:
    """A customer is named by e-mail address (has an @) or customer number."""
    return "email" if "@" in value else "customer_number"


def log_contact(
    session: Session,
    runtime: Runtime,
    staff: Principal,
    *,
    channel: str,
    identifier: str,
    summary: str,
    language: str | None = None,
    complaint: bool = False,
) -> ConversationRead:
    """Log a phone call or letter as a conversation linked to the customer found by the identifier."""
    if not auth_service.has_permission(staff, "conversation.log"):
        raise PermissionDeniedError("your role does not allow logging conversations")
    if channel not in LOGGED_CHANNELS:
        raise ValidationFailedError(
            f"channel must be one of {', '.join(LOGGED_CHANNELS)}", details={"field": "channel"}
        )
    value = identifier.strip()
    if not value:
        raise ValidationFailedError(
            "name the customer by customer number or e-mail", details={"field": "identifier"}
        )
    policy = runtime.policy
    try:
        subject = subjects_service.find_by_identifier(
            session,
            identifier_kind(value),
            value,
            secret=runtime.settings.secret_key,
            default_region=policy.organisation.country,
        )
    except ValidationFailedError:
        subject = None  # not a valid customer number or e-mail: nobody can have it
    if subject is None:
        raise ValidationFailedError(
            "no customer has this customer number or e-mail address", details={"field": "identifier"}
        )
    return conversations_service.log_contact(
        session,
        policy,
        channel=channel,
        subject_id=subject.id,
        language=next(
            lang
            for lang in (language, subject.language, policy.organisation.default_language)
            if lang and lang in policy.languages
        ),
        summary=summary,
        advisor_id=staff.id,
        clock=runtime.clock,
        secret=runtime.settings.secret_key,
        complaint=complaint,
    )
