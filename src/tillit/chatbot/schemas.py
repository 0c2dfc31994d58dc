"""Shapes the chatbot shares with other domains: the knowledge base, a turn's context and the bot's reply.

The knowledge-base format is a contract with the people who write the content
(`src/tillit/packs/<pack>/kb/<lang>.yaml`), so it is validated strictly: a typo in a key fails at start-up
with the file named, not as a silently missing topic.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OUT_OF_SCOPE = "out_of_scope"
"""The class of questions the bot must not try to answer; a topic id of its own in every pack."""

HUMAN = "human"
"""The topic of asking for a person; its action is a handoff in every pack."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KbTopic(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    action: str | None = None
    phrases: list[str] = Field(min_length=1)
    answer: str = Field(min_length=1)


class KbOutOfScope(_Strict):
    phrases: list[str] = Field(min_length=1)
    answer: str = Field(min_length=1)


class KbFallback(_Strict):
    rephrase: str = Field(min_length=1)
    offer_human: str = Field(min_length=1)


class KnowledgeBase(_Strict):
    """One pack's knowledge base in one language."""

    language: str
    topics: list[KbTopic] = Field(min_length=1)
    out_of_scope: KbOutOfScope
    fallback: KbFallback

    def topic(self, topic_id: str) -> KbTopic | None:
        return next((t for t in self.topics if t.id == topic_id), None)


class BotContext(BaseModel):
    """What the bot knows about the conversation besides the text: its language, who is logged in (a
    subject id, or None for an anonymous chat) and how many turns in a row it failed to understand."""

    model_config = ConfigDict(frozen=True)

    language: str | None = None
    subject_id: str | None = None
    failed_turns: int = Field(default=0, ge=0)


ActionStatus = Literal["done", "need_input", "invalid", "not_found", "login_required", "unavailable"]


class ActionResult(BaseModel):
    """What an action did. `data` holds only what the reply shows (a status code, masked card digits)."""

    model_config = ConfigDict(frozen=True)

    name: str
    status: ActionStatus
    data: dict[str, Any] = Field(default_factory=dict)


class BotReply(BaseModel):
    """The bot's answer to one customer message.

    - `topic`: the topic answered, `out_of_scope`, or None when the bot did not understand;
    - `answered`: a knowledge-base answer or an action was given (out-of-scope and not-understood are not);
    - `failed`: the caller counts a failed turn (the second one in a row offers a human);
    - `handoff`: the customer asked for a person, so the conversation should join the queue;
    - `offer_human`: show the customer a way to reach a person (after failures, or when logging in is
      needed first);
    - `generated`: the text was rewritten by a language model, so the UI shows `disclaimer`;
    - `restricted`: the customer's processing is restricted (Art. 18): the bot said so and did nothing
      else (no classification, no action), and `record_turn` neither counts nor samples the turn.
    """

    model_config = ConfigDict(frozen=True)

    topic: str | None
    confidence: float
    language: str
    text: str
    answered: bool
    failed: bool = False
    handoff: bool = False
    offer_human: bool = False
    login_required: bool = False
    action: ActionResult | None = None
    generated: bool = False
    disclaimer: str | None = None
    restricted: bool = False


class EvalItem(BaseModel):
    """One line of an evaluation file."""

    text: str
    topic: str
