"""The advisor console as JSON under /api/v1/console (used by the page's script and by tests).

Every endpoint needs a staff session with `console.open` (401 JSON without a session, 403 without the
permission); every write also needs the session's CSRF token in the `X-CSRF-Token` header, since the
session cookie alone would be sent by a cross-site form too. Conversations an advisor may not open answer
404 whether or not they exist.

Polling: the page asks `/status` every few seconds; it carries no content (status and the latest message
number), so it is not audited. Only when something changed does the page fetch `/messages?after=N`,
which is a read of the conversation and is audited like opening it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from tillit.auth.schemas import Principal
from tillit.conversations import service as conversations_service
from tillit.conversations.rules import MAX_MESSAGE_CHARS
from tillit.conversations.schemas import ConversationRead, MessageRead, QueueEntry
from tillit.main import runtime_of
from tillit.runtime import Runtime
from tillit.web import console_actions as actions
from tillit.web import deps
from tillit.web.console_views import ConversationView, get_openable, open_conversation

router = APIRouter(prefix="/api/v1/console", tags=["advisor console"])
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
ConsoleStaff = Annotated[Principal, Depends(deps.require_permission("console.open"))]


def csrf_header(request: Request, runtime: RuntimeDep, staff: ConsoleStaff) -> Principal:
    """The staff member, once the write's `X-CSRF-Token` header matches their session (else 403)."""
    deps.check_csrf(request, runtime, deps.STAFF_COOKIE, None)
    return staff


WritingStaff = Annotated[Principal, Depends(csrf_header)]


class ReplyBody(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class TagsBody(BaseModel):
    complaint: bool | None = None
    advisory: bool | None = None


class LogBody(BaseModel):
    channel: actions.LoggedChannel
    identifier: str = Field(min_length=1, max_length=254, description="Customer number or e-mail address")
    summary: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    language: str | None = Field(default=None, max_length=8)
    complaint: bool = False


def _entry(entry: QueueEntry, runtime: Runtime) -> dict[str, Any]:
    return {
        "conversation_id": entry.conversation_id,
        "position": entry.position,
        "waiting_seconds": int((runtime.clock.now() - entry.queued_at).total_seconds()),
        "expected_wait_seconds": int(entry.expected_wait.total_seconds()),
        "language": entry.language,
        "authenticated": entry.authenticated,
        "queued_at": entry.queued_at.isoformat(),
    }


def _conversation(conversation: ConversationRead) -> dict[str, Any]:
    return conversation.model_dump(mode="json", exclude={"subject_id"}) | {
        "linked_to_customer": conversation.subject_id is not None
    }


def _messages(messages: list[MessageRead]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json") for m in messages]


def _view(view: ConversationView) -> dict[str, Any]:
    customer = None
    if view.customer is not None:
        customer = {
            "display_name": view.customer.display_name,
            "identifiers": [i.model_dump() for i in view.customer.identifiers],
            "datasets": [
                {"dataset": d.dataset_id, "columns": d.columns, "rows": d.rows}
                for d in view.customer.datasets
            ],
        }
    return {
        "conversation": _conversation(view.conversation),
        "purpose": view.purpose,
        "messages": _messages(view.messages),
        "customer": customer,
        "handoff_contact": view.contact.model_dump(mode="json") if view.contact else None,
        "feedback": view.feedback.model_dump() if view.feedback else None,
        "can_take": view.can_take,
        "can_write": view.can_write,
    }


@router.get("/queue", summary="The queue, and the conversations the advisor has (all, for a supervisor)")
def queue(runtime: RuntimeDep, staff: ConsoleStaff) -> dict[str, Any]:
    with runtime.uow.read() as session:
        entries = actions.queue(session)
        mine = actions.my_conversations(session, runtime, staff)
    return {
        "queue": [_entry(e, runtime) for e in entries],
        "conversations": [_conversation(c) for c in mine],
    }


@router.get("/conversations/{conversation_id}", summary="Open a conversation (audited)")
def conversation(conversation_id: str, runtime: RuntimeDep, staff: ConsoleStaff) -> dict[str, Any]:
    with runtime.uow.begin() as session:
        return _view(open_conversation(session, runtime, staff, conversation_id))


@router.get(
    "/conversations/{conversation_id}/status", summary="Status and latest message number (no content)"
)
def status(conversation_id: str, runtime: RuntimeDep, staff: ConsoleStaff) -> dict[str, Any]:
    with runtime.uow.read() as session:
        found = get_openable(session, staff, conversation_id)
        latest = conversations_service.latest_seq(session, found.id)
    return {
        "status": found.status,
        "latest_seq": latest,
        "complaint": found.complaint,
        "advisory": found.advisory,
    }


@router.get("/conversations/{conversation_id}/messages", summary="Messages after a number (audited)")
def messages(
    conversation_id: str,
    runtime: RuntimeDep,
    staff: ConsoleStaff,
    after: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    with runtime.uow.begin() as session:
        view = open_conversation(session, runtime, staff, conversation_id, after_seq=after)
    return {"purpose": view.purpose, "status": view.conversation.status, "messages": _messages(view.messages)}


@router.post("/conversations/{conversation_id}/take", summary="Take a queued conversation")
def take(conversation_id: str, runtime: RuntimeDep, staff: WritingStaff) -> dict[str, Any]:
    with runtime.uow.begin() as session:
        return _conversation(actions.take(session, runtime, staff, conversation_id))


@router.post("/conversations/{conversation_id}/messages", status_code=201, summary="Reply as the advisor")
def reply(conversation_id: str, body: ReplyBody, runtime: RuntimeDep, staff: WritingStaff) -> dict[str, Any]:
    with runtime.uow.begin() as session:
        return actions.reply(session, runtime, staff, conversation_id, body.text).model_dump(mode="json")


@router.post("/conversations/{conversation_id}/tags", summary="Tag complaint or advisory")
def tags(conversation_id: str, body: TagsBody, runtime: RuntimeDep, staff: WritingStaff) -> dict[str, Any]:
    with runtime.uow.begin() as session:
        changed = actions.tag(
            session, runtime, staff, conversation_id, complaint=body.complaint, advisory=body.advisory
        )
    return _conversation(changed)


@router.post("/conversations/{conversation_id}/close", summary="Close the conversation")
def close(conversation_id: str, runtime: RuntimeDep, staff: WritingStaff) -> dict[str, Any]:
    with runtime.uow.begin() as session:
        return _conversation(actions.close(session, runtime, staff, conversation_id))


@router.post("/logged", status_code=201, summary="Log a phone call, letter, e-mail or social enquiry")
def log_contact(body: LogBody, runtime: RuntimeDep, staff: WritingStaff) -> dict[str, Any]:
    with runtime.uow.begin() as session:
        logged = actions.log_contact(
            session,
            runtime,
            staff,
            channel=body.channel,
            identifier=body.identifier,
            summary=body.summary,
            language=body.language,
            complaint=body.complaint,
        )
    return _conversation(logged)
