"""A chat turn: the customer's message, the bot's answer and what follows from it, in one transaction.

This is the one place where a conversation talks to the chatbot. The bot is a *port* (`Bot`): anything
with `answer(text, context) -> BotAnswer` and `record(session, text, answer, context)`. The HTTP router
passes an adapter over `tillit.chatbot.service`; tests pass a trivial stand-in. So when the chatbot's API
changes, only that adapter changes, and the conversation rules here (store, count failures, join the
queue, respect "advisor chat only when logged in") stay put and stay tested without a trained model.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from tillit.consent import service as consent_service
from tillit.conversations import rules, service
from tillit.conversations.schemas import ConversationRead, MessageRead, QueueEntry
from tillit.core.clock import Clock
from tillit.core.errors import ConflictError, NotAuthenticatedError
from tillit.policy.schema import Policy
from tillit.runtime import Runtime

if TYPE_CHECKING:  # the chatbot (and scikit-learn) load on the first turn, not with this module
    from tillit.chatbot.schemas import BotContext


@dataclass(frozen=True)
class TurnContext:
    """What the bot may know besides the text: the conversation's language, who is logged in (None for
    an anonymous chat) and how many turns in a row it failed to understand."""

    conversation_id: str
    language: str
    subject_id: str | None
    failed_turns: int


@dataclass(frozen=True)
class BotAnswer:
    """The bot's reply as a conversation needs it. `handoff`: the customer asked for a person;
    `failed`: count a turn not understood; `generated`: a language model wrote the text, so the widget
    shows `disclaimer` with it."""

    text: str
    topic: str | None
    confidence: float
    language: str
    generated: bool = False
    disclaimer: str | None = None
    handoff: bool = False
    failed: bool = False
    offer_human: bool = False
    login_required: bool = False
    raw: Any = field(default=None, compare=False, repr=False)
    """The bot's own reply object, handed back to `Bot.record` untouched."""


class Bot(Protocol):
    """The chatbot as this use case sees it."""

    def understand(self, session: Session | None, text: str, context: TurnContext) -> object | None:
        """What can be worked out from the text alone (language, intent), before the turn's write
        transaction opens, so that the transaction (and SQLite's one write lock) is not held while the
        classifier runs. `session` is a read session, or None for an anonymous customer (no restriction
        to check). Returns None when there is nothing to precompute (or the customer's processing is
        restricted)."""

    def answer(
        self, session: Session, text: str, context: TurnContext, understood: object | None = None
    ) -> BotAnswer:
        """Actions (track a parcel) read the company's data inside the turn's transaction. `understood`
        is `understand`'s result for this text, or None."""

    def record(self, session: Session, text: str, answer: BotAnswer, context: TurnContext) -> None:
        """Samples and statistics (no personal data, no link to the conversation), in the turn's
        transaction so that a rolled-back turn leaves no statistic behind."""


@dataclass(frozen=True)
class TurnResult:
    """What one turn stored and what the widget should offer next."""

    customer: MessageRead
    bot: MessageRead | None
    queue: QueueEntry | None
    offer_human: bool = False
    login_required: bool = False
    disclaimer: str | None = None


def advisor_requires_login(policy: Policy) -> bool:
    """Whether advisor chat is offered only to logged-in customers (the bank pack: "Chat with an advisor
    is available only when you are logged in"), read from the policy's `chat.advisor_requires_login`."""
    return policy.chat.advisor_requires_login


def check_handoff_allowed(policy: Policy, conversation: ConversationRead) -> None:
    """Refuse a handoff the policy does not offer to this customer (401: logging in would help)."""
    if advisor_requires_login(policy) and not conversation.authenticated:
        raise NotAuthenticatedError(
            "chat with an advisor is available only when you are logged in",
            details={"login": "/login"},
        )


def request_handoff(
    session: Session, policy: Policy, conversation_id: str, *, clock: Clock, advisors_online: int = 1
) -> QueueEntry:
    """The customer asks for a person: join the queue if the policy offers advisor chat to them."""
    check_handoff_allowed(policy, service.get(session, conversation_id))
    service.request_handoff(session, policy, conversation_id, clock=clock)
    return service.queue_entry(session, conversation_id, advisors_online=advisors_online)


@dataclass(frozen=True)
class ConversationHint:
    """What `understand` needs of a conversation, none of which changes after it starts."""

    conversation_id: str
    language: str
    subject_id: str | None


class ConversationHints:
    """The language and owner of conversations this process has recently served, so that an anonymous
    customer's next turn can be understood without a read transaction first (one less round trip and
    session per turn). Only a hint: the turn's own transaction still checks access, and `answer` redoes
    the work if the conversation's language is not the one assumed. A miss (another server process
    started the conversation, or it fell out of the bounded cache) costs the read it would have saved."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._items: OrderedDict[str, ConversationHint] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conversation_id: str) -> ConversationHint | None:
        with self._lock:
            hint = self._items.get(conversation_id)
            if hint is not None:
                self._items.move_to_end(conversation_id)
            return hint

    def remember(self, conversation: ConversationRead) -> None:
        hint = ConversationHint(conversation.id, conversation.language, conversation.subject_id)
        with self._lock:
            self._items[conversation.id] = hint
            self._items.move_to_end(conversation.id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def understand_from_hint(hint: ConversationHint, text: str, bot: Bot) -> object | None:
    """`understand` without a database read, for an anonymous customer's conversation this process has
    seen. A logged-in customer's text may be analysed only after checking that their processing is not
    restricted, which needs the database: None for them (and for a message `customer_turn` refuses)."""
    if hint.subject_id is not None or not text.strip() or len(text) > rules.MAX_MESSAGE_CHARS:
        return None
    context = TurnContext(
        conversation_id=hint.conversation_id, language=hint.language, subject_id=None, failed_turns=0
    )
    return bot.understand(None, text, context)


def understand(session: Session, conversation: ConversationRead, text: str, bot: Bot) -> object | None:
    """The bot's text-only work for a turn, done in a read session before the turn's transaction: only
    while the bot has the conversation and for a message that will be stored (an empty or oversized one
    is refused by `customer_turn` anyway)."""
    if conversation.status != "bot" or not text.strip() or len(text) > rules.MAX_MESSAGE_CHARS:
        return None
    context = TurnContext(
        conversation_id=conversation.id,
        language=conversation.language,
        subject_id=conversation.subject_id,
        failed_turns=0,  # not used before the transaction; the answer reads the current count
    )
    return bot.understand(session, text, context)


def customer_turn(
    session: Session,
    policy: Policy,
    conversation_id: str,
    text: str,
    bot: Bot,
    clock: Clock,
    *,
    understood: object | None = None,
) -> TurnResult:
    """Store the customer's message; while the bot has the conversation, store its answer too and act
    on it (count a failure, join the queue). Once queued or with an advisor the bot stays silent: the
    message waits for the person. Joins the caller's transaction. `understood`: `understand`'s result
    from before the transaction (the bot redoes that work if it is missing or stale)."""
    conversation = service.get(session, conversation_id)
    bot_answers = conversation.status == "bot"
    # While the bot answers, its reply is stored in this transaction and recomputes the holds then.
    customer = service.add_message(
        session, policy, conversation_id, author="customer", text=text, clock=clock, refresh=not bot_answers
    )
    if not bot_answers:
        queue = _queue_or_none(session, conversation_id) if conversation.status == "queued" else None
        return TurnResult(customer=customer, bot=None, queue=queue)

    failed_before = service.failed_turns(session, conversation_id)
    context = TurnContext(
        conversation_id=conversation_id,
        language=conversation.language,
        subject_id=conversation.subject_id,
        failed_turns=failed_before,
    )
    answer = bot.answer(session, text, context, understood)
    reply = service.add_message(
        session,
        policy,
        conversation_id,
        author="bot",
        text=answer.text,
        clock=clock,
        topic=answer.topic,
        confidence=answer.confidence,
        generated=answer.generated,
    )
    if answer.failed:
        service.record_failed_turn(session, conversation_id)
    elif failed_before:
        service.reset_failed_turns(session, conversation_id)
    bot.record(session, text, answer, context)

    queued: QueueEntry | None = None
    login_required = answer.login_required
    if answer.handoff:
        if advisor_requires_login(policy) and not conversation.authenticated:
            login_required = True
        else:
            service.request_handoff(session, policy, conversation_id, clock=clock)
            queued = service.queue_entry(session, conversation_id)
    return TurnResult(
        customer=customer,
        bot=reply,
        queue=queued,
        offer_human=answer.offer_human and queued is None,
        login_required=login_required,
        disclaimer=answer.disclaimer if answer.generated else None,
    )


def _queue_or_none(session: Session, conversation_id: str) -> QueueEntry | None:
    try:
        return service.queue_entry(session, conversation_id)
    except ConflictError:  # the status moved under us; the widget learns it on its next poll
        return None


class ChatbotPort:
    """The real chatbot (`tillit.chatbot.service`) behind the `Bot` port: the only code that knows its
    API. Its models are trained once per process (on first use, or at start-up by `warm_up`)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._rng = random.Random()
        settings = runtime.settings
        from tillit.chatbot.llm import client_from_settings

        self._llm = client_from_settings(
            getattr(settings, "llm_url", None),
            getattr(settings, "llm_model", None),
            getattr(settings, "llm_timeout_s", 5.0),
        )

    def understand(self, session: Session | None, text: str, context: TurnContext) -> object | None:
        from tillit.chatbot import service as chatbot_service

        policy = self._runtime.policy
        return chatbot_service.understand(policy, policy.pack, text, _bot_context(context), session=session)

    def answer(
        self, session: Session, text: str, context: TurnContext, understood: object | None = None
    ) -> BotAnswer:
        from tillit.chatbot import service as chatbot_service

        policy = self._runtime.policy
        reply = chatbot_service.answer(
            policy,
            policy.pack,
            text,
            _bot_context(context),
            session=session,
            clock=self._runtime.clock,
            secret=self._runtime.settings.secret_key,
            llm=self._llm,
            understood=understood if isinstance(understood, chatbot_service.Understanding) else None,
        )
        return BotAnswer(
            text=reply.text,
            topic=reply.topic,
            confidence=reply.confidence,
            language=reply.language,
            generated=reply.generated,
            disclaimer=reply.disclaimer,
            handoff=reply.handoff,
            failed=reply.failed,
            offer_human=reply.offer_human,
            login_required=reply.login_required,
            raw=reply,
        )

    def record(self, session: Session, text: str, answer: BotAnswer, context: TurnContext) -> None:
        from tillit.chatbot import service as chatbot_service
        from tillit.chatbot.schemas import BotReply

        if isinstance(answer.raw, BotReply):
            policy = self._runtime.policy
            # A logged-in customer who objected to chatbot improvement (or statistics) is never sampled
            # nor counted for it; an anonymous customer cannot have objected.
            objections = (
                consent_service.excluded_purposes(session, policy, context.subject_id)
                if context.subject_id is not None
                else set()
            )
            chatbot_service.record_turn(
                session, policy, answer.raw, text, self._runtime.clock, self._rng, objections=objections
            )


def _bot_context(context: TurnContext) -> BotContext:
    from tillit.chatbot.schemas import BotContext

    return BotContext(
        language=context.language, subject_id=context.subject_id, failed_turns=context.failed_turns
    )
