"""The chatbot's knowledge bases and held-out evaluation sets keep their contract (issue 3).

Knowledge bases live in `src/tillit/packs/<pack>/kb/<lang>.yaml`, one per pack language; the evaluation
sets in `tests/fixtures/chatbot/<pack>_eval.jsonl`. The topic ids are a contract shared with the classifier
and `tillit bot eval`, so they are listed here literally rather than read back from the files. The last
test is the held-out guarantee: no evaluation question is also a training phrase.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from tillit.packs.parcel.tracking import is_valid_s10, is_valid_sscc

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chatbot"

LANGUAGES: dict[str, tuple[str, ...]] = {
    "bank": ("nb", "en"),
    "parcel": ("nb", "sv", "da", "en"),
    "saas": ("nb", "sv", "en"),
    "telecom": ("da", "en"),
}

TOPICS: dict[str, tuple[str, ...]] = {
    "bank": (
        "card_block",
        "balance",
        "mortgage_rates",
        "become_customer",
        "contact_hours",
        "fraud",
        "marketing_preferences",
        "chat_privacy",
        "human",
    ),
    "parcel": (
        "track",
        "send_price",
        "customs",
        "change_delivery",
        "damaged_or_lost",
        "opening_hours",
        "chat_privacy",
        "human",
    ),
    "saas": ("login_help", "invoice", "cancel_subscription", "delete_my_data", "cookies", "human"),
    "telecom": (
        "invoice",
        "roaming",
        "change_subscription",
        "lost_phone",
        "marketing_optout",
        "location_data",
        "human",
    ),
}

# Topics whose answer is an action of the bot; every other topic is answered with its text.
ACTIONS: dict[str, dict[str, str]] = {
    "bank": {"card_block": "card_block", "balance": "balance", "human": "handoff"},
    "parcel": {"track": "track", "human": "handoff"},
    "saas": {"human": "handoff"},
    "telecom": {"human": "handoff"},
}

OUT_OF_SCOPE = "out_of_scope"
MIN_PHRASES = 30
MIN_OUT_OF_SCOPE_PHRASES = 60
MIN_EVAL_PER_TOPIC = 20
MIN_EVAL_OUT_OF_SCOPE = 30

PACK_LANGUAGES = [(pack, lang) for pack, langs in LANGUAGES.items() for lang in langs]

_S10_LIKE = re.compile(r"\b[A-Z]{2}\d{9}[A-Z]{2}\b")
_SSCC_LIKE = re.compile(r"\b\d{18}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://[^\s,;)]+")


def normalise(text: str) -> str:
    """Case-, accent-form-, punctuation- and whitespace-insensitive form, so near-identical texts collide."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def kb_path(pack: str, lang: str) -> Path:
    return Path(str(resources.files("tillit.packs"))) / pack / "kb" / f"{lang}.yaml"


@cache
def load_kb(pack: str, lang: str) -> dict[str, Any]:
    data = yaml.safe_load(kb_path(pack, lang).read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{pack}/kb/{lang}.yaml is not a mapping"
    return data


@cache
def load_policy(pack: str) -> dict[str, Any]:
    path = Path(str(resources.files("tillit.packs"))) / pack / "policy.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@cache
def load_eval(pack: str) -> list[dict[str, Any]]:
    rows = []
    path = FIXTURES / f"{pack}_eval.jsonl"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"{path.name}:{number}: blank line"
        row = json.loads(line)
        assert isinstance(row, dict), f"{path.name}:{number}: not a JSON object"
        rows.append(row)
    return rows


def all_phrases(kb: dict[str, Any]) -> list[str]:
    phrases = [phrase for topic in kb["topics"] for phrase in topic["phrases"]]
    return phrases + list(kb["out_of_scope"]["phrases"])


def all_answers(kb: dict[str, Any]) -> list[str]:
    answers = [topic["answer"] for topic in kb["topics"]]
    return [*answers, kb["out_of_scope"]["answer"], *kb["fallback"].values()]


def _nonempty_string(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


# --- knowledge bases -----------------------------------------------------------------------------------


@pytest.mark.parametrize("pack", sorted(LANGUAGES))
def test_contract_languages_are_the_policy_languages_and_each_has_a_kb_file(pack: str) -> None:
    policy_languages = load_policy(pack)["organisation"]["languages"]
    assert set(policy_languages) == set(LANGUAGES[pack])
    kb_dir = kb_path(pack, "xx").parent
    assert {path.stem for path in kb_dir.glob("*.yaml")} == set(LANGUAGES[pack])


@pytest.mark.parametrize(("pack", "lang"), PACK_LANGUAGES)
def test_kb_file_has_the_documented_shape(pack: str, lang: str) -> None:
    kb = load_kb(pack, lang)
    assert set(kb) == {"language", "topics", "out_of_scope", "fallback"}
    assert kb["language"] == lang
    assert isinstance(kb["topics"], list)
    for topic in kb["topics"]:
        assert set(topic) <= {"id", "action", "phrases", "answer"}, topic.get("id")
        assert {"id", "phrases", "answer"} <= set(topic), topic.get("id")
    assert set(kb["out_of_scope"]) == {"phrases", "answer"}
    assert set(kb["fallback"]) == {"rephrase", "offer_human"}


@pytest.mark.parametrize(("pack", "lang"), PACK_LANGUAGES)
def test_kb_has_exactly_the_contract_topics_and_actions(pack: str, lang: str) -> None:
    kb = load_kb(pack, lang)
    ids = [topic["id"] for topic in kb["topics"]]
    assert len(ids) == len(set(ids)), f"duplicate topic ids: {ids}"
    assert set(ids) == set(TOPICS[pack])
    assert OUT_OF_SCOPE not in ids
    actions = {topic["id"]: topic["action"] for topic in kb["topics"] if "action" in topic}
    assert actions == ACTIONS[pack]


@pytest.mark.parametrize(("pack", "lang"), PACK_LANGUAGES)
def test_every_topic_has_enough_distinct_phrases_and_an_answer(pack: str, lang: str) -> None:
    kb = load_kb(pack, lang)
    for topic in kb["topics"]:
        phrases = topic["phrases"]
        assert all(_nonempty_string(phrase) for phrase in phrases), topic["id"]
        distinct = {normalise(phrase) for phrase in phrases}
        assert len(distinct) >= MIN_PHRASES, f"{topic['id']}: {len(distinct)} distinct phrases"
        assert _nonempty_string(topic["answer"]), topic["id"]
    out_of_scope = kb["out_of_scope"]
    assert all(_nonempty_string(phrase) for phrase in out_of_scope["phrases"])
    assert len({normalise(phrase) for phrase in out_of_scope["phrases"]}) >= MIN_OUT_OF_SCOPE_PHRASES
    assert _nonempty_string(out_of_scope["answer"])
    assert all(_nonempty_string(text) for text in kb["fallback"].values())


@pytest.mark.parametrize(("pack", "lang"), PACK_LANGUAGES)
def test_no_phrase_is_taught_twice_or_to_two_topics(pack: str, lang: str) -> None:
    counts = Counter(normalise(phrase) for phrase in all_phrases(load_kb(pack, lang)))
    repeated = sorted(phrase for phrase, count in counts.items() if count > 1)
    assert repeated == []


@pytest.mark.parametrize(("pack", "lang"), PACK_LANGUAGES)
def test_answers_give_only_the_policy_contact_details(pack: str, lang: str) -> None:
    """An answer may only send customers to an e-mail address or web site the policy declares."""
    organisation = load_policy(pack)["organisation"]
    emails = {organisation["contact"]["email"], organisation["dpo"]["email"]}
    site = organisation["contact"]["url"].split("/")[2]
    text = "\n".join(all_answers(load_kb(pack, lang)))
    assert set(_EMAIL.findall(text)) <= emails
    assert all(url.rstrip(".").split("/")[2] == site for url in _URL.findall(text))
    phone = organisation["contact"].get("phone")
    if phone is None:
        assert not re.search(r"\+\d{2} ?\d", text), "an answer gives a phone number the policy lacks"
    else:
        assert all(number == phone for number in re.findall(r"\+\d[\d ]*\d", text))


@pytest.mark.parametrize("lang", LANGUAGES["parcel"])
def test_parcel_tracking_numbers_in_the_kb_carry_valid_check_digits(lang: str) -> None:
    kb = load_kb("parcel", lang)
    track = next(topic for topic in kb["topics"] if topic["id"] == "track")
    text = "\n".join(track["phrases"])
    s10 = _S10_LIKE.findall(text.upper())
    sscc = _SSCC_LIKE.findall(text)
    assert s10, "track phrases should include S10 numbers"
    assert all(is_valid_s10(number) for number in s10), s10
    assert all(is_valid_sscc(number) for number in sscc), sscc


def test_kb_answers_differ_between_languages() -> None:
    """A language file that copies another's answers is an untranslated file."""
    for pack, langs in LANGUAGES.items():
        seen: dict[str, str] = {}
        for lang in langs:
            for topic in load_kb(pack, lang)["topics"]:
                key = normalise(topic["answer"])
                assert key not in seen, f"{pack}/{lang} {topic['id']} repeats {seen.get(key)}"
                seen[key] = f"{lang} {topic['id']}"


# --- evaluation sets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pack", sorted(LANGUAGES))
def test_eval_lines_are_valid(pack: str) -> None:
    allowed_topics = {*TOPICS[pack], OUT_OF_SCOPE}
    for number, row in enumerate(load_eval(pack), start=1):
        assert set(row) == {"text", "topic", "lang"}, f"line {number}: {row}"
        assert _nonempty_string(row["text"]), f"line {number}"
        assert row["topic"] in allowed_topics, f"line {number}: {row['topic']}"
        assert row["lang"] in LANGUAGES[pack], f"line {number}: {row['lang']}"


@pytest.mark.parametrize("pack", sorted(LANGUAGES))
def test_eval_covers_every_topic_and_language(pack: str) -> None:
    rows = load_eval(pack)
    per_topic = Counter(row["topic"] for row in rows)
    for topic in TOPICS[pack]:
        assert per_topic[topic] >= MIN_EVAL_PER_TOPIC, f"{topic}: {per_topic[topic]}"
    assert per_topic[OUT_OF_SCOPE] >= MIN_EVAL_OUT_OF_SCOPE
    for topic in (*TOPICS[pack], OUT_OF_SCOPE):
        languages = {row["lang"] for row in rows if row["topic"] == topic}
        assert languages == set(LANGUAGES[pack]), f"{topic} asked only in {sorted(languages)}"


@pytest.mark.parametrize("pack", sorted(LANGUAGES))
def test_eval_has_no_repeated_question(pack: str) -> None:
    counts = Counter(normalise(row["text"]) for row in load_eval(pack))
    assert sorted(text for text, count in counts.items() if count > 1) == []


@pytest.mark.parametrize("pack", sorted(LANGUAGES))
def test_eval_is_held_out_from_every_kb_of_the_pack(pack: str) -> None:
    training = {normalise(phrase) for lang in LANGUAGES[pack] for phrase in all_phrases(load_kb(pack, lang))}
    leaked = [row["text"] for row in load_eval(pack) if normalise(row["text"]) in training]
    assert leaked == []


def test_normalise_ignores_case_whitespace_and_punctuation() -> None:
    assert normalise("  Hvor er  PAKKA mi?? ") == normalise("hvor er pakka mi")
    assert normalise("Sperr kortet") != normalise("sperr kortet mitt")
