"""Chatbot use cases: answer a customer's message, record the turn for improvement and statistics, and
evaluate the classifier on a held-out file.

`answer` joins the caller's transaction when it is given a `session` (actions read the company's data
through the audited datasets connector) and never commits; without one (the CLI's `bot ask`) it answers
from the knowledge base only. Models are trained once per pack and process (a few seconds at most) and
shared by every turn; `warm_up` does it at start-up so that the first customer does not wait.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

from sqlalchemy.orm import Session

from tillit.chatbot import actions, classifier, kb, repository, rules, texts
from tillit.chatbot.llm import LlmClient, LlmError, build_messages
from tillit.chatbot.schemas import HUMAN, OUT_OF_SCOPE, BotContext, BotReply, EvalItem, KnowledgeBase
from tillit.core.clock import Clock
from tillit.core.errors import ValidationFailedError
from tillit.core.ids import new_id
from tillit.pii import MaskStyle, find, mask
from tillit.policy.schema import Policy, Purpose
from tillit.subjects import service as subjects_service

HANDOFF_ACTIONS = frozenset({"handoff", "human"})
"""A topic whose action is one of these puts the conversation in the advisors' queue."""

LANGUAGE_CONFIDENT = 0.75
"""Below this detection confidence (or in a message of fewer than three words) the conversation's own
language wins: "CP123456785NO?" or "ok takk" say nothing reliable about the language."""

MAX_SAMPLE_CHARS = 2000
_DISCLAIMER = {
    "nb": "Svaret er laget automatisk og kan inneholde feil.",
    "sv": "Svaret är genererat automatiskt och kan innehålla fel.",
    "da": "Svaret er genereret automatisk og kan indeholde fejl.",
    "en": "This answer was generated automatically and may contain errors.",
}

_bots: dict[tuple[str, str, tuple[str, ...]], classifier.TrainedBot] = {}
_lock = threading.Lock()


def get_bot(
    pack: str, *, kb_dir: Path | None = None, languages: Collection[str] | None = None
) -> classifier.TrainedBot:
    """The pack's trained bot, trained on first use and cached for the process."""
    directory = (kb_dir or kb.kb_dir(pack)).resolve()
    wanted = tuple(sorted(languages)) if languages else ()
    key = (pack, str(directory), wanted)
    with _lock:
        bot = _bots.get(key)
        if bot is None:
            kbs = kb.load_dir(directory, list(wanted) or None)
            bot = classifier.train(pack, kbs)
            _bots[key] = bot
        return bot


def warm_up(policy: Policy, *, kb_dir: Path | None = None) -> classifier.TrainedBot:
    """Train the policy's pack at start-up (the app's lifespan calls this)."""
    return get_bot(policy.pack, kb_dir=kb_dir, languages=policy.languages)


@dataclass(frozen=True)
class Understanding:
    """What the bot makes of a message before reading any data: its language, the classifier's ranking
    and the topic. Pure computation, so a chat turn does it before opening its write transaction (on
    SQLite, before taking the one write lock) and hands it to `answer`."""

    text: str
    context_language: str | None
    language: str
    prediction: classifier.Prediction
    topic: str
    confidence: float


def understand(
    policy: Policy,
    pack: str,
    text: str,
    context: BotContext,
    *,
    session: Session | None = None,
    kb_dir: Path | None = None,
) -> Understanding | None:
    """Detect the language and classify the message; None for a customer whose processing is restricted
    (checked through `session` when given: their text is not to be analysed at all)."""
    if _restricted(session, context):
        return None
    bot = get_bot(pack, kb_dir=kb_dir, languages=policy.languages)
    prediction = bot.intent.predict(text)
    topic, confidence = classify(bot, text, prediction)
    language = reply_language(bot, text, context, policy)
    return Understanding(text, context.language, language, prediction, topic, confidence)


def answer(
    policy: Policy,
    pack: str,
    text: str,
    context: BotContext,
    *,
    session: Session | None = None,
    clock: Clock | None = None,
    secret: str | None = None,
    llm: LlmClient | None = None,
    kb_dir: Path | None = None,
    understood: Understanding | None = None,
) -> BotReply:
    """The bot's reply to one customer message. Actions need `session`, `clock` (and `secret` for the
    bank's, to read the customer's identities); `llm` turns on generated answers. `understood`: this
    message's `understand`, done earlier; used when it is for the same text and conversation language.

    A customer whose processing is restricted (Art. 18) gets one polite sentence saying so, in the
    conversation's language, before anything reads the text: no language detection, no classification,
    no action, no language model. Storing the message (the caller's) is the one use restriction allows.
    The check is made here again even after `understand`: a restriction may have come in between."""
    if _restricted(session, context):
        return restricted_reply(policy, context.language)
    bot = get_bot(pack, kb_dir=kb_dir, languages=policy.languages)
    if understood is None or understood.text != text or understood.context_language != context.language:
        understood = understand(policy, pack, text, context, kb_dir=kb_dir)
        assert understood is not None  # no session given: no restriction check
    language, prediction = understood.language, understood.prediction
    topic, confidence = understood.topic, understood.confidence
    base = _kb_for(bot, language)

    decision = rules.decide(topic, confidence, bot.threshold, context.failed_turns)
    common = {"confidence": round(confidence, 4), "language": language}
    if decision == "rephrase":
        return BotReply(topic=None, text=base.fallback.rephrase, answered=False, failed=True, **common)
    if decision == "offer_human":
        return BotReply(
            topic=None,
            text=base.fallback.offer_human,
            answered=False,
            failed=True,
            offer_human=True,
            **common,
        )
    if decision == "out_of_scope":
        return BotReply(topic=OUT_OF_SCOPE, text=base.out_of_scope.answer, answered=False, **common)

    entry = base.topic(topic) or next(k.topic(topic) for k in bot.kbs.values() if k.topic(topic))
    assert entry is not None
    action = HUMAN if topic == HUMAN or entry.action in HANDOFF_ACTIONS else entry.action
    if action == HUMAN:
        # The policy says whether advisor chat is offered only to logged-in customers (the bank's notice:
        # "I innlogget chat kan du be om å snakke med en rådgiver"), so a custom policy decides, not the pack.
        if policy.chat.advisor_requires_login and context.subject_id is None:
            outcome = actions.login_needed(HUMAN, language)
            return BotReply(
                topic=topic,
                text=outcome.text,
                answered=True,
                login_required=True,
                action=outcome.result,
                **common,
            )
        return BotReply(topic=topic, text=entry.answer, answered=True, handoff=True, **common)
    if action in actions.LOGIN_ACTIONS and context.subject_id is None:
        outcome = actions.login_needed(action, language)
        return BotReply(
            topic=topic,
            text=outcome.text,
            answered=True,
            login_required=True,
            offer_human=False,
            action=outcome.result,
            **common,
        )
    if action is not None and session is not None and clock is not None:
        done = _run_action(action, session, policy, text, language, context, clock=clock, secret=secret)
        if done is not None:
            return BotReply(topic=topic, text=done.text, answered=True, action=done.result, **common)
    if llm is not None and action is None:
        generated = _generate(llm, bot, text, language, [t for t, _ in prediction.ranking], topic)
        if generated is not None:
            return BotReply(
                topic=topic,
                text=generated,
                answered=True,
                generated=True,
                disclaimer=disclaimer(policy, language),
                **common,
            )
    return BotReply(topic=topic, text=entry.answer, answered=True, **common)


def _restricted(session: Session | None, context: BotContext) -> bool:
    return (
        session is not None
        and context.subject_id is not None
        and subjects_service.is_restricted(session, context.subject_id)
    )


def restricted_reply(policy: Policy, language: str | None) -> BotReply:
    """What the bot says, and only says, to a customer whose processing is restricted."""
    lang = language if language in policy.languages else policy.organisation.default_language
    return BotReply(
        topic=None,
        confidence=0.0,
        language=lang,
        text=texts.text("restricted", lang),
        answered=False,
        restricted=True,
    )


def classify(bot: classifier.TrainedBot, text: str, prediction: classifier.Prediction) -> tuple[str, float]:
    """The classifier's topic, except that a message carrying a valid-looking shipment number and little
    else (or nothing the classifier is sure of) is a tracking request: the answer to "which number?"."""
    topic, confidence = prediction.topic, prediction.confidence
    track_topic = _topic_with_action(bot, "track")
    if (
        track_topic
        and rules.find_shipment_numbers(text)
        and (rules.mostly_a_number(text) or confidence < bot.threshold or topic == OUT_OF_SCOPE)
    ):
        return track_topic, max(confidence, bot.threshold)
    return topic, confidence


def reply_language(bot: classifier.TrainedBot, text: str, context: BotContext, policy: Policy) -> str:
    detected, confidence = bot.language.detect(text)
    own = context.language if context.language in bot.kbs else None
    if own and (confidence < LANGUAGE_CONFIDENT or len(rules.words(text)) < 3):
        return own
    if detected in bot.kbs:
        return detected
    default = policy.organisation.default_language
    return own or (default if default in bot.kbs else sorted(bot.kbs)[0])


def disclaimer(policy: Policy, language: str) -> str:
    """The policy's own disclaimer for generated answers, or a plain one."""
    for purpose in policy.purposes:
        if purpose.generative_ai is not None:
            value = purpose.generative_ai.disclaimer.get(language)
            if value:
                return value
    return _DISCLAIMER.get(language, _DISCLAIMER["en"])


def _kb_for(bot: classifier.TrainedBot, language: str) -> KnowledgeBase:
    return bot.kbs.get(language) or bot.kbs[sorted(bot.kbs)[0]]


def _topic_with_action(bot: classifier.TrainedBot, action: str) -> str | None:
    for base in bot.kbs.values():
        for topic in base.topics:
            if topic.action == action:
                return topic.id
    return None


def _run_action(
    action: str,
    session: Session,
    policy: Policy,
    text: str,
    language: str,
    context: BotContext,
    *,
    clock: Clock,
    secret: str | None,
) -> actions.Outcome | None:
    if action == "track":
        return actions.track(session, policy, text, language, clock=clock)
    if context.subject_id is None or secret is None:
        return None
    if action == "card_block":
        return actions.card_block(
            session, policy, text, language, context.subject_id, clock=clock, secret=secret
        )
    if action == "balance":
        return actions.balance(session, policy, language, context.subject_id, clock=clock, secret=secret)
    return None


def _generate(
    llm: LlmClient, bot: classifier.TrainedBot, text: str, language: str, ranking: list[str], topic: str
) -> str | None:
    """Rewrite the best knowledge-base answers into a reply; None (use the KB answer) on any failure."""
    base = _kb_for(bot, language)
    grounding: list[str] = []
    for candidate in [topic, *ranking]:
        entry = base.topic(candidate)
        if entry is None or entry.action is not None or entry.answer in grounding:
            continue
        grounding.append(entry.answer)
        if len(grounding) == 3:
            break
    try:
        return llm.complete(build_messages(text, grounding, language))
    except LlmError:
        return None


# --- improvement samples and statistics ----------------------------------------------------------------


def sample_purpose(policy: Policy) -> Purpose | None:
    """The purpose that declares a `sample_rate` (e.g. parcel's `chatbot_improvement`)."""
    return next((p for p in policy.purposes if p.sample_rate is not None), None)


def statistics_purposes(policy: Policy) -> list[Purpose]:
    return [p for p in policy.purposes if (p.fides_data_use or "").startswith("analytics")]


def record_turn(
    session: Session,
    policy: Policy,
    reply: BotReply,
    text: str,
    clock: Clock,
    rng: random.Random,
    *,
    objections: Collection[str] = (),
) -> bool:
    """Count the turn in the statistics and, for a random fraction (the policy's `sample_rate`), copy the
    question with personal data masked into the sample store, dated to the day and linked to nothing.
    `objections` are purposes the customer objected to: no sample (or count) for those. Returns whether
    a sample was taken. Joins the caller's transaction. A restricted customer's turn is neither counted
    nor sampled (statistics and chatbot improvement are uses, not storage)."""
    if reply.restricted:
        return False
    now = clock.now()
    stats_objected = any(p.id in objections for p in statistics_purposes(policy))
    if not stats_objected:
        repository.bump_stat(
            session,
            day=now.date(),
            pack=policy.pack,
            language=reply.language,
            topic=reply.topic or "unknown",
            answered=int(reply.answered),
            handoffs=int(reply.handoff),
        )
    purpose = sample_purpose(policy)
    if purpose is None or purpose.id in objections or not purpose.sample_rate:
        return False
    if rng.random() >= purpose.sample_rate:
        return False
    clipped = text[:MAX_SAMPLE_CHARS]
    masked = mask(clipped, find(clipped, [reply.language]), MaskStyle.TAG)
    repository.add_sample(
        session,
        id=new_id(),
        pack=policy.pack,
        text_masked=masked,
        language=reply.language,
        topic=reply.topic,
        at=datetime.combine(now.date(), time.min, tzinfo=UTC),
    )
    return True


def read_samples(session: Session, *, pack: str | None = None, limit: int = 100) -> list[dict[str, object]]:
    return [
        {
            "text": s.text_masked,
            "language": s.language,
            "topic": s.topic,
            "day": s.created_at.date().isoformat(),
        }
        for s in repository.samples(session, pack=pack, limit=limit)
    ]


def read_stats(session: Session, *, pack: str | None = None) -> list[dict[str, object]]:
    return [
        {
            "day": s.day.isoformat(),
            "pack": s.pack,
            "language": s.language,
            "topic": s.topic,
            "questions": s.questions,
            "answered": s.answered,
            "handoffs": s.handoffs,
        }
        for s in repository.stats(session, pack=pack)
    ]


# --- evaluation ----------------------------------------------------------------------------------------


def read_eval_file(path: Path) -> list[EvalItem]:
    items: list[EvalItem] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(EvalItem.model_validate(json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise ValidationFailedError(f"{path}:{number}: not an evaluation line ({exc})") from None
    return items


def evaluate(pack: str, items: list[EvalItem], *, kb_dir: Path | None = None) -> rules.EvalReport:
    """Classify every item and compare with its topic (the file is never trained on)."""
    bot = get_bot(pack, kb_dir=kb_dir)
    predictions = bot.intent.predict_many([i.text for i in items])
    decided = [classify(bot, item.text, p) for item, p in zip(items, predictions, strict=True)]
    return rules.evaluate(
        [i.topic for i in items], [t for t, _ in decided], [c for _, c in decided], bot.threshold
    )
