"""The chat API under `/api/v1/chat`: start, send, receive (long polling), handoff, contact, close, feedback,
transcript and the customer's own deletion.

Who may touch a conversation: whoever presents its access token in `X-Conversation-Token` (an anonymous
chat has nothing else), or its owner's customer session. Anything else is 404, never 403, so guessing ids
tells nothing. The router stays thin: each request opens one unit of work and calls the services, so a
turn (customer message, bot reply, holds, statistics) commits or fails as a whole.

Receiving is long polling against the database, not an in-process pub/sub, so it works the same with
any number of server processes: the request re-reads the conversation every `POLL_INTERVAL` until a
message newer than `after` exists, the status differs from the one the client saw, or `wait` runs out.

`build_router(customer)` takes the "who is logged in" dependency from the web layer, because a domain
does not import entry points (see the import-linter contracts).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.auth.schemas import Principal
from tillit.conversations import api, service, turns
from tillit.conversations.api import (
    TOKEN_HEADER,
    ContactRequest,
    ConversationOut,
    DeletedOut,
    KeptOut,
    MessageOut,
    MessageRequest,
    PollOut,
    QueueOut,
    StartedOut,
    StartRequest,
    TurnOut,
    chat_features,
)
from tillit.conversations.schemas import ConversationRead, FeedbackCreate
from tillit.core.errors import (
    PayloadTooLargeError,
    PermissionDeniedError,
    ValidationFailedError,
)
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

MAX_BODY_BYTES = 64 * 1024
"""Bodies above this are refused (413) before they are parsed; a message is at most 4,000 characters."""
MAX_WAIT_SECONDS = 25.0
POLL_INTERVAL = 0.25


async def _runtime(request: Request) -> Runtime:
    """`async` so that FastAPI calls it on the event loop instead of hopping to its thread pool."""
    runtime: Runtime = request.app.state.context
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
TokenDep = Annotated[str | None, Header(alias=TOKEN_HEADER, description="The conversation's access token")]


async def _body_size_limit(request: Request) -> None:
    """Refuse an oversized body from its declared length, so a megabyte of JSON is never parsed (on the
    event loop: no thread hop for a header check)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"the request body may have at most {MAX_BODY_BYTES} bytes")


# --- helpers -------------------------------------------------------------------------------------------


def _state(session: Session, conversation: ConversationRead) -> tuple[str, QueueOut | None]:
    queue = service.queue_entry(session, conversation.id) if conversation.status == "queued" else None
    return conversation.status, QueueOut.of(queue)


# --- the router ----------------------------------------------------------------------------------------


def build_router(customer: Callable[..., Awaitable[Principal | None]]) -> APIRouter:
    """The chat API; `customer` is the (async) dependency that returns the logged-in customer or None."""
    router = APIRouter(prefix="/api/v1/chat", tags=["chat"], dependencies=[Depends(_body_size_limit)])
    who_is = Depends(customer)

    hints = turns.ConversationHints()

    def access(
        session: Session,
        conversation_id: str,
        token: str | None,
        who: Principal | None,
        *,
        for_update: bool = False,
    ) -> ConversationRead:
        return service.get_for_customer(
            session,
            conversation_id,
            access_token=token or None,
            subject_id=who.id if who else None,
            for_update=for_update,
        )

    @router.post("", status_code=201, summary="Start a conversation")
    def start(
        request: Request,
        runtime: RuntimeDep,
        who: Principal | None = who_is,
        body: StartRequest | None = None,
    ) -> StartedOut:
        """Returns the id and the access token. A logged-in customer's conversation is linked to them;
        the client's IP address is stored (encrypted, on its own) only if a purpose of the policy holds it."""
        policy = runtime.policy
        language = (body.language if body and body.language else policy.organisation.default_language).lower()
        if language not in policy.languages:
            raise ValidationFailedError(
                f"invalid language: choose one of {', '.join(policy.languages)}",
                details={"field": "language"},
            )
        keep_ip = bool(policy.purposes_holding(service.CONVERSATION_IP))
        with runtime.uow.begin() as session:
            started = service.start(
                session,
                policy,
                language=language,
                clock=runtime.clock,
                secret=runtime.settings.secret_key,
                subject_id=who.id if who else None,
                ip_address=request.client.host if keep_ip and request.client else None,
            )
        c = started.conversation
        hints.remember(c)
        return StartedOut(
            id=c.id,
            language=c.language,
            status=c.status,
            authenticated=c.authenticated,
            last_seq=0,
            queue=None,
            access_token=started.access_token,
        )

    @router.get("/{conversation_id}", summary="The conversation's state")
    def state(
        conversation_id: str, runtime: RuntimeDep, token: TokenDep = None, who: Principal | None = who_is
    ) -> ConversationOut:
        with runtime.uow.read() as session:
            conversation = access(session, conversation_id, token, who)
            status, queue = _state(session, conversation)
            last = service.latest_seq(session, conversation_id)
        return ConversationOut(
            id=conversation.id,
            language=conversation.language,
            status=status,
            authenticated=conversation.authenticated,
            last_seq=last,
            queue=queue,
        )

    @router.post("/{conversation_id}/messages", summary="Send a message; the bot's reply comes back")
    def send(
        conversation_id: str,
        body: MessageRequest,
        request: Request,
        runtime: RuntimeDep,
        token: TokenDep = None,
        who: Principal | None = who_is,
    ) -> TurnOut:
        """Stores the customer's message and, while the bot has the conversation, its reply, in one
        transaction. Over 4,000 characters: 413. Once an advisor is involved the bot is silent.

        The bot's text-only work (language, intent) is done first, so the write transaction (on SQLite:
        the one write lock) is held only for the reads and writes themselves: from the conversation's
        hint for an anonymous customer this process has served, else in a read session (a logged-in
        customer's restriction must be checked before their text is analysed)."""
        bot = bot_of(request, runtime)
        hint = hints.get(conversation_id)
        if hint is not None and hint.subject_id is None:
            understood = turns.understand_from_hint(hint, body.text, bot)
        else:
            with runtime.uow.read() as session:
                conversation = access(session, conversation_id, token, who)
                hints.remember(conversation)
                understood = turns.understand(session, conversation, body.text, bot)
        with runtime.uow.begin() as session:
            # The turn writes the conversation: lock it with the access check's read.
            hints.remember(access(session, conversation_id, token, who, for_update=True))
            result = turns.customer_turn(
                session, runtime.policy, conversation_id, body.text, bot, runtime.clock, understood=understood
            )
            status, queue = _state(session, service.get(session, conversation_id))
        stored = [result.customer] + ([result.bot] if result.bot else [])
        return TurnOut(
            messages=[MessageOut.of(m) for m in stored],
            status=status,
            queue=queue,
            offer_human=result.offer_human,
            login_required=result.login_required,
            disclaimer=result.disclaimer,
        )

    @router.get("/{conversation_id}/messages", summary="Messages after a sequence number (long polling)")
    async def receive(
        conversation_id: str,
        runtime: RuntimeDep,
        after: Annotated[int, Query(ge=0, description="The last sequence number the client has")] = 0,
        wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS, description="Seconds to wait for news")] = 0,
        status: Annotated[str | None, Query(description="The status the client last saw")] = None,
        token: TokenDep = None,
        who: Principal | None = who_is,
    ) -> PollOut:
        """Answers at once when there are newer messages or the status differs from `status`; otherwise
        re-reads the database every quarter second until there are or `wait` seconds have passed."""

        def read() -> PollOut:
            with runtime.uow.read() as session:
                conversation = access(session, conversation_id, token, who)
                found = service.messages(session, conversation_id, after_seq=after)
                now_status, queue = _state(session, conversation)
            return PollOut(messages=[MessageOut.of(m) for m in found], status=now_status, queue=queue)

        deadline = time.monotonic() + wait
        while True:
            result = await run_in_threadpool(read)
            if result.messages or (status is not None and result.status != status):
                return result
            if time.monotonic() + POLL_INTERVAL > deadline:
                return result
            await asyncio.sleep(POLL_INTERVAL)

    @router.post("/{conversation_id}/handoff", summary="Ask for a person: join the advisors' queue")
    def handoff(
        conversation_id: str, runtime: RuntimeDep, token: TokenDep = None, who: Principal | None = who_is
    ) -> QueueOut:
        """401 when the policy offers advisor chat only to logged-in customers and this one is not."""
        with runtime.uow.begin() as session:
            access(session, conversation_id, token, who)
            entry = turns.request_handoff(session, runtime.policy, conversation_id, clock=runtime.clock)
        queue = QueueOut.of(entry)
        assert queue is not None
        return queue

    @router.post(
        "/{conversation_id}/contact", status_code=204, summary="Name, e-mail and phone while waiting"
    )
    def contact(
        conversation_id: str,
        body: ContactRequest,
        runtime: RuntimeDep,
        token: TokenDep = None,
        who: Principal | None = who_is,
    ) -> Response:
        """Validated (the phone number for the organisation's country), stored encrypted and held by the
        purposes that hold handoff contacts; refused where the policy does not ask for them."""
        from tillit.conversations.schemas import HandoffContactCreate

        policy = runtime.policy
        try:
            subjects_service.normalise_identifier(
                "phone", body.phone, default_region=policy.organisation.country
            )
        except ValidationFailedError:
            raise ValidationFailedError(
                "invalid phone: not a valid phone number", details={"field": "phone"}
            ) from None
        try:
            data = HandoffContactCreate(
                name=body.name.strip(), email=body.email.strip(), phone=body.phone.strip()
            )
        except ValueError:
            raise ValidationFailedError(
                "invalid email: not a valid e-mail address", details={"field": "email"}
            ) from None
        with runtime.uow.begin() as session:
            access(session, conversation_id, token, who)
            service.give_handoff_contact(
                session,
                policy,
                conversation_id,
                data,
                clock=runtime.clock,
                secret=runtime.settings.secret_key,
            )
        return Response(status_code=204)

    @router.post("/{conversation_id}/close", summary="End the conversation")
    def close(
        conversation_id: str, runtime: RuntimeDep, token: TokenDep = None, who: Principal | None = who_is
    ) -> ConversationOut:
        with runtime.uow.begin() as session:
            access(session, conversation_id, token, who)
            closed = service.close(session, runtime.policy, conversation_id, clock=runtime.clock)
            last = service.latest_seq(session, conversation_id)
        return ConversationOut(
            id=closed.id,
            language=closed.language,
            status=closed.status,
            authenticated=closed.authenticated,
            last_seq=last,
            queue=None,
        )

    @router.post("/{conversation_id}/feedback", status_code=204, summary="The voluntary feedback question")
    def feedback(
        conversation_id: str,
        body: FeedbackCreate,
        runtime: RuntimeDep,
        token: TokenDep = None,
        who: Principal | None = who_is,
    ) -> Response:
        """After the conversation has ended (409 before); only where a purpose of the policy holds it."""
        if not runtime.policy.purposes_holding(service.FEEDBACK):
            raise PermissionDeniedError("this organisation does not ask for feedback")
        with runtime.uow.begin() as session:
            access(session, conversation_id, token, who)
            service.give_feedback(session, runtime.policy, conversation_id, body, clock=runtime.clock)
        return Response(status_code=204)

    @router.get(
        "/{conversation_id}/transcript",
        summary="Download the transcript",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}, "application/json": {}}}},
    )
    def transcript(
        conversation_id: str,
        runtime: RuntimeDep,
        fmt: Annotated[Literal["txt", "json"], Query(alias="format")] = "txt",
        token: TokenDep = None,
        who: Principal | None = who_is,
    ) -> Response:
        """The customer's own conversation as text or JSON (their right of access and portability)."""
        with runtime.uow.read() as session:
            conversation = access(session, conversation_id, token, who)
            messages = service.messages(session, conversation_id)
        filename = f"chat-{conversation.created_at:%Y%m%d-%H%M}-{conversation.id[:8]}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
        if fmt == "json":
            body = {
                "organisation": runtime.policy.organisation.name,
                "conversation": {
                    "id": conversation.id,
                    "language": conversation.language,
                    "channel": conversation.channel,
                    "status": conversation.status,
                    "created_at": conversation.created_at.isoformat(),
                    "closed_at": conversation.closed_at.isoformat() if conversation.closed_at else None,
                },
                "messages": [json.loads(MessageOut.of(m).model_dump_json()) for m in messages],
            }
            text = json.dumps(body, ensure_ascii=False, indent=2)
            return Response(text, media_type="application/json; charset=utf-8", headers=headers)
        text = api.transcript_text(runtime.policy, conversation, messages)
        return Response(text, media_type="text/plain; charset=utf-8", headers=headers)

    @router.delete("/{conversation_id}", summary="Delete the conversation (the customer's own deletion)")
    def delete(
        conversation_id: str,
        runtime: RuntimeDep,
        lang: Annotated[str | None, Query(description="Language of the names in the answer")] = None,
        token: TokenDep = None,
        who: Principal | None = who_is,
    ) -> DeletedOut:
        """Ends every hold that no legal obligation keeps. The conversation is gone at once when nothing
        keeps it; otherwise the answer names what remains and the law that keeps it."""
        policy = runtime.policy
        if not chat_features(policy)["delete"]:
            raise PermissionDeniedError(
                "this organisation does not offer deleting a chat here; ask in the privacy centre"
            )
        with runtime.uow.begin() as session:
            conversation = access(session, conversation_id, token, who)
            result = service.delete_by_customer(session, policy, conversation_id, clock=runtime.clock)
            audit_service.record(
                session,
                actor_type="customer",
                actor_id=conversation.subject_id or "anonymous",
                action="conversation.delete",
                subject_id=conversation.subject_id,
                record_type=service.CONVERSATION,
                record_id=conversation_id,
                detail={"ended": len(result.ended), "kept": len(result.kept)},
                clock=runtime.clock,
            )
        language = lang if lang in policy.languages else conversation.language
        kept = []
        for hold in result.kept:
            name, reason = api.kept_names(hold.purpose, hold.purpose_name, hold.legal_obligation, language)
            kept.append(KeptOut(purpose=hold.purpose, name=name, reason=reason, until=hold.expires_at))
        gone = not any(h.record_type == service.CONVERSATION for h in result.remaining)
        return DeletedOut(deleted=gone, ended=sorted({h.purpose for h in result.ended}), kept=kept)

    return router


def bot_of(request: Request, runtime: Runtime) -> turns.Bot:
    """The bot for this app: a stand-in a test put on `app.state.chat_bot`, or the real chatbot (trained
    once per process on first use)."""
    bot: turns.Bot | None = getattr(request.app.state, "chat_bot", None)
    if bot is None:
        bot = turns.ChatbotPort(runtime)
        request.app.state.chat_bot = bot
    return bot
