"""The trained bot without a database: language detection, the threshold dialogue, out of scope,
handoff and login-only actions. Uses the small test knowledge bases (fast to train) except for language
detection, which needs the packs' real four-language content."""

from __future__ import annotations

from pathlib import Path

import pytest

from tillit.chatbot import classifier, kb, service
from tillit.chatbot.schemas import OUT_OF_SCOPE, BotContext, BotReply
from tillit.policy.loader import load_pack

SMALL = Path(__file__).resolve().parents[2] / "fixtures" / "chatbot" / "kb_small"


@pytest.fixture(scope="module")
def parcel_detector() -> classifier.LanguageDetector:
    directory = kb.kb_dir("parcel")
    if not directory.is_dir():
        directory = SMALL / "parcel"
    return classifier.LanguageDetector(classifier.language_texts(kb.load_dir(directory)))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hvor er pakken min", "nb"),
        ("jeg har ikke fått pakka mi enda", "nb"),
        ("hva koster det å sende et brev", "nb"),
        ("var är mitt paket", "sv"),
        ("jag har inte fått mitt paket", "sv"),
        ("vad kostar det att skicka ett brev", "sv"),
        ("hvad koster det at sende et brev", "da"),
        ("jeg har ikke fået min pakke endnu", "da"),
        ("hvornår kommer min pakke", "da"),
        ("where is my parcel", "en"),
        ("how much does it cost to send a letter", "en"),
        ("i have not received my package yet", "en"),
    ],
)
def test_language_detection_on_short_sentences(
    parcel_detector: classifier.LanguageDetector, text: str, language: str
) -> None:
    detected, confidence = parcel_detector.detect(text)
    assert detected == language, (text, detected, confidence)


def test_language_detection_without_diacritics(parcel_detector: classifier.LanguageDetector) -> None:
    assert parcel_detector.detect("jag har inte fatt mitt paket an")[0] == "sv"
    assert parcel_detector.detect("jeg har ikke faet min pakke endnu")[0] == "da"


def _ask(pack: str, text: str, **context: object) -> BotReply:
    return service.answer(load_pack(pack).policy, pack, text, BotContext(**context), kb_dir=SMALL / pack)  # type: ignore[arg-type]


def test_a_clear_question_is_answered_from_the_knowledge_base_in_its_language() -> None:
    reply = _ask("parcel", "Vad kostar det att skicka ett paket till Norge?")
    assert reply.topic == "send_price"
    assert reply.language == "sv"
    assert reply.answered and not reply.failed
    assert reply.text == kb.load_file(SMALL / "parcel" / "sv.yaml").topic("send_price").answer  # type: ignore[union-attr]


def test_below_the_threshold_the_bot_asks_to_rephrase_then_offers_a_human() -> None:
    first = _ask("bank", "blabla qwerty zxcv", language="en")
    bot = service.get_bot("bank", kb_dir=SMALL / "bank", languages=["nb", "en"])
    assert first.confidence < bot.threshold
    assert first.topic is None and not first.answered and first.failed and not first.offer_human
    assert first.text == bot.kbs["en"].fallback.rephrase
    second = _ask("bank", "blabla qwerty zxcv", language="en", failed_turns=1)
    assert second.failed and second.offer_human and not second.handoff
    assert second.text == bot.kbs["en"].fallback.offer_human


def test_out_of_scope_is_recognised_and_not_counted_as_answered() -> None:
    reply = _ask("parcel", "can you tell me a joke about the weather", language="en")
    assert reply.topic == OUT_OF_SCOPE
    assert not reply.answered and not reply.failed
    assert reply.text == kb.load_file(SMALL / "parcel" / "en.yaml").out_of_scope.answer


def test_asking_for_a_person_hands_off() -> None:
    reply = _ask("parcel", "I want to talk to a real person", language="en")
    assert reply.topic == "human" and reply.handoff and reply.answered


def test_bank_advisor_chat_and_card_actions_need_login() -> None:
    human = _ask("bank", "jeg vil snakke med en rådgiver", language="nb")
    assert human.topic == "human" and not human.handoff and human.login_required
    card = _ask("bank", "kortet mitt er stjålet, sperr det", language="nb")
    assert card.topic == "card_block" and card.login_required
    assert card.action is not None and card.action.status == "login_required"
    assert "logge inn" in card.text


def test_advisor_login_follows_the_policy_not_the_pack_name() -> None:
    """`chat.advisor_requires_login` decides: a bank policy without it hands off at once, and a parcel
    policy with it asks an anonymous customer to log in first."""
    bank = load_pack("bank").policy
    open_bank = bank.model_copy(
        update={"chat": bank.chat.model_copy(update={"advisor_requires_login": False})}
    )
    context = BotContext(language="nb")
    reply = service.answer(
        open_bank, "bank", "jeg vil snakke med en rådgiver", context, kb_dir=SMALL / "bank"
    )
    assert reply.topic == "human" and reply.handoff and not reply.login_required

    parcel = load_pack("parcel").policy
    strict = parcel.model_copy(
        update={"chat": parcel.chat.model_copy(update={"advisor_requires_login": True})}
    )
    english = BotContext(language="en")
    reply = service.answer(
        strict, "parcel", "I want to talk to a real person", english, kb_dir=SMALL / "parcel"
    )
    assert reply.topic == "human" and not reply.handoff and reply.login_required
    logged_in = BotContext(language="en", subject_id="subject-1")
    reply = service.answer(
        strict, "parcel", "I want to talk to a real person", logged_in, kb_dir=SMALL / "parcel"
    )
    assert reply.handoff and not reply.login_required


def test_a_bare_shipment_number_is_a_tracking_request() -> None:
    reply = _ask("parcel", "CP123456785NO", language="sv")
    assert reply.topic == "track" and reply.language == "sv"


def test_the_trained_bot_is_cached_per_pack() -> None:
    first = service.get_bot("parcel", kb_dir=SMALL / "parcel", languages=["sv", "nb", "da", "en"])
    again = service.get_bot("parcel", kb_dir=SMALL / "parcel", languages=["en", "da", "nb", "sv"])
    assert first is again
    assert first.train_seconds < 10


def test_the_fast_scorer_agrees_with_scikit_learn() -> None:
    """`classifier._proba` (the per-turn path) computes the same probabilities as `predict_proba`, for the
    multi-class intent model and for a two-language (binary) language model, empty text included."""
    import numpy as np

    texts = ["Vad kostar det att skicka ett paket?", "kortet mitt er stjalet!!", "", "CP123456785NO", "hei"]
    for pack in ("parcel", "bank"):
        bot = service.get_bot(pack, kb_dir=SMALL / pack, languages=load_pack(pack).policy.languages)
        for pipeline in (bot.intent._model, bot.language._model):
            assert pipeline is not None
            expected = pipeline.predict_proba(texts)
            assert np.allclose(classifier._proba(pipeline, texts), expected, atol=1e-9)
