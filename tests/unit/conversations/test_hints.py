"""Conversation hints: what lets an anonymous customer's turn be understood before its transaction,
without a read of the database, and never a logged-in customer's (their restriction is checked first)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tillit.conversations.schemas import ConversationRead
from tillit.conversations.turns import (
    BotAnswer,
    ConversationHint,
    ConversationHints,
    TurnContext,
    understand_from_hint,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def conversation(
    conversation_id: str, *, language: str = "sv", subject_id: str | None = None
) -> ConversationRead:
    return ConversationRead(
        id=conversation_id,
        subject_id=subject_id,
        channel="chat",
        language=language,
        status="bot",
        authenticated=subject_id is not None,
        had_advisor=False,
        complaint=False,
        advisory=False,
        advisor_id=None,
        created_at=NOW,
        queued_at=None,
        closed_at=None,
        last_message_at=NOW,
    )


class RecordingBot:
    def __init__(self) -> None:
        self.calls: list[tuple[Session | None, str, TurnContext]] = []

    def understand(self, session: Session | None, text: str, context: TurnContext) -> object | None:
        self.calls.append((session, text, context))
        return ("understood", text)

    def answer(
        self, session: Session, text: str, context: TurnContext, understood: object | None = None
    ) -> BotAnswer:
        raise AssertionError("not used here")

    def record(self, session: Session, text: str, answer: BotAnswer, context: TurnContext) -> None:
        raise AssertionError("not used here")


def test_a_remembered_conversation_gives_its_language_and_owner() -> None:
    hints = ConversationHints()
    hints.remember(conversation("c1", language="da"))
    hints.remember(conversation("c2", subject_id="s1"))
    assert hints.get("c1") == ConversationHint("c1", "da", None)
    assert hints.get("c2") == ConversationHint("c2", "sv", "s1")
    assert hints.get("unknown") is None


def test_the_least_recently_used_hint_goes_first_when_the_cache_is_full() -> None:
    hints = ConversationHints(size=2)
    hints.remember(conversation("a"))
    hints.remember(conversation("b"))
    assert hints.get("a") is not None  # "a" is now the most recently used
    hints.remember(conversation("c"))
    assert hints.get("b") is None
    assert hints.get("a") is not None and hints.get("c") is not None


def test_an_anonymous_customers_text_is_understood_without_a_session_in_the_conversations_language() -> None:
    bot = RecordingBot()
    understood = understand_from_hint(ConversationHint("c1", "nb", None), "hvor er pakka mi", bot)
    assert understood == ("understood", "hvor er pakka mi")
    [(session, _text, context)] = bot.calls
    assert session is None
    assert (context.conversation_id, context.language, context.subject_id) == ("c1", "nb", None)


def test_a_logged_in_customers_text_is_not_analysed_from_a_hint() -> None:
    """Their processing may be restricted, which only the database knows: the read session decides."""
    bot = RecordingBot()
    assert understand_from_hint(ConversationHint("c1", "nb", "subject-1"), "hei", bot) is None
    assert bot.calls == []


def test_messages_the_turn_refuses_are_not_analysed() -> None:
    bot = RecordingBot()
    hint = ConversationHint("c1", "sv", None)
    assert understand_from_hint(hint, "   ", bot) is None
    assert understand_from_hint(hint, "x" * 4001, bot) is None
    assert bot.calls == []
