"""The parcel pack keeps the promises of its source document (seeds/002, a postal company's Swedish chatbot
notice).

Each table below is a list of concrete promises read off the document, checked against
`load_pack("parcel")`. Retention promises are checked by what the engine would decide
(`tillit.retention.rules.decide_holds`) for records with given facts, not by reading the YAML back, so a
rule in the wrong order, on the wrong anchor or in the wrong purpose fails here even if the right
durations appear somewhere in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from stdnum.no import orgnr

from tillit.policy.loader import LoadedPolicy, load_pack
from tillit.policy.schema import Policy
from tillit.retention.rules import alive, decide_holds

OPENED = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
CLOSED = datetime(2025, 6, 1, 10, 25, tzinfo=UTC)


@pytest.fixture(scope="module")
def loaded() -> LoadedPolicy:
    return load_pack("parcel")


@pytest.fixture(scope="module")
def policy(loaded: LoadedPolicy) -> Policy:
    return loaded.policy


def chat(**facts: Any) -> dict[str, Any]:
    """The facts of a closed chat: bot only, no complaint, not deleted, unless told otherwise."""
    base: dict[str, Any] = {
        "created_at": OPENED,
        "closed_at": CLOSED,
        "last_message_at": CLOSED,
        "channel": "chat",
        "authenticated": False,
        "had_advisor": False,
        "complaint": False,
        "advisory": False,
        "deleted_by_customer": False,
    }
    return {**base, **facts}


# --- Legal basis and the subject's way out, per purpose ----------------------------------------------

# (purpose, legal basis, objection)
BASES: list[tuple[str, str, bool]] = [
    # 3. "Hanteringsgrunden ... är GDPR artikel 6 nr 1 bokstav b) ... ge dig det svar via chatboten"
    ("chatbot_answers", "contract", False),
    # 3. "slumpmässiga urval av kundernas frågor ... för att förbättra chatbotens svar"
    ("chatbot_improvement", "legitimate_interests", True),
    # 3. "sammanställa statistik och för att på annat sätt utvärdera användningen"
    ("usage_statistics", "legitimate_interests", True),
    # 6. advisor chat: answering the request the customer made (the same basis as the bot's answer)
    ("advisor_chat", "contract", False),
    # 6. "Behandlingsunderlaget ... är GDPR artikel 6 nr. bokstav f)" for name, e-mail and phone
    ("handoff_followup", "legitimate_interests", True),
    # the general privacy policy: carrying and delivering the shipment the chatbot tracks
    ("shipment_delivery", "contract", False),
]


def test_the_purposes_are_exactly_the_documents(policy: Policy) -> None:
    assert [p.id for p in policy.purposes] == [row[0] for row in BASES]


@pytest.mark.parametrize(("purpose_id", "basis", "objection"), BASES, ids=[row[0] for row in BASES])
def test_legal_basis(policy: Policy, purpose_id: str, basis: str, objection: bool) -> None:
    purpose = policy.purpose(purpose_id)
    assert purpose.legal_basis == basis
    assert purpose.objection is objection
    assert purpose.withdrawal is False  # nothing in the notice rests on consent
    assert purpose.direct_marketing is False  # the notice promises no marketing at all


def test_legitimate_interests_are_stated_in_every_language(policy: Policy) -> None:
    for purpose in policy.purposes:
        if purpose.legal_basis == "legitimate_interests":
            assert purpose.legitimate_interest is not None, purpose.id
            assert set(purpose.legitimate_interest) == set(policy.languages), purpose.id


def test_the_handoff_interest_says_why_the_queue_asks(policy: Policy) -> None:
    """6. asking in the queue "gör oss effektivare" and "förkortar också väntetiden"."""
    interest = policy.purpose("handoff_followup").legitimate_interest
    assert interest is not None
    assert "väntetiden" in interest["sv"]
    assert "effektivare" in interest["sv"]
    assert "waiting time" in interest["en"]


# --- Retention: what the engine decides for one purpose under every condition the notice names --------

# (case, purpose, record kind, facts, keep, anchor, action)
RETENTION: list[tuple[str, str, str, dict[str, Any], str, str, str]] = [
    # 4. "Din konversation med chatboten lagras i en månad"
    ("bot chat: one month", "chatbot_answers", "conversation", chat(), "P1M", "closed_at", "delete"),
    # 4. "... om du inte väljer att radera konversationen när du är klar"
    (
        "bot chat deleted by the customer: at once",
        "chatbot_answers",
        "conversation",
        chat(deleted_by_customer=True),
        "P0D",
        "created_at",
        "delete",
    ),
    (
        "the bot's hold on a chat that reached an advisor is still one month",
        "chatbot_answers",
        "conversation",
        chat(had_advisor=True),
        "P1M",
        "closed_at",
        "delete",
    ),
    # 6. "lagras i 3,5 år vid klagomål eller reklamation"
    (
        "advisor chat with a complaint: 3.5 years",
        "advisor_chat",
        "conversation",
        chat(had_advisor=True, complaint=True),
        "P3Y6M",
        "closed_at",
        "delete",
    ),
    # 6. "Chatt som gäller rådgivning, information eller andra tjänster lagras i 1,5 år"
    (
        "other advisor chat: 1.5 years",
        "advisor_chat",
        "conversation",
        chat(had_advisor=True, advisory=True),
        "P1Y6M",
        "closed_at",
        "delete",
    ),
    (
        "deleting an advisor chat does not shorten the complaint period",
        "advisor_chat",
        "conversation",
        chat(had_advisor=True, complaint=True, deleted_by_customer=True),
        "P3Y6M",
        "closed_at",
        "delete",
    ),
    # 6. name, e-mail and phone live as long as the advisor chat they belong to
    (
        "queue contact details, complaint: 3.5 years",
        "handoff_followup",
        "handoff_contact",
        {"created_at": OPENED, "closed_at": CLOSED, "complaint": True, "deleted_by_customer": False},
        "P3Y6M",
        "closed_at",
        "delete",
    ),
    (
        "queue contact details, other matter: 1.5 years",
        "handoff_followup",
        "handoff_contact",
        {"created_at": OPENED, "closed_at": CLOSED, "complaint": False, "deleted_by_customer": False},
        "P1Y6M",
        "closed_at",
        "delete",
    ),
    (
        "voluntary feedback: 1.5 years",
        "handoff_followup",
        "feedback",
        {"created_at": CLOSED, "closed_at": CLOSED},
        "P1Y6M",
        "closed_at",
        "delete",
    ),
    # the pack's concretisation of the general policy for the company's own shipment tables
    (
        "delivered shipment: anonymised a year after delivery",
        "shipment_delivery",
        "parcel_shipments",
        {"created_at": OPENED, "status": "delivered", "completed_at": CLOSED},
        "P1Y",
        "completed_at",
        "anonymise",
    ),
    (
        "returned shipment: anonymised a year after the return",
        "shipment_delivery",
        "parcel_shipments",
        {"created_at": OPENED, "status": "returned", "completed_at": CLOSED},
        "P1Y",
        "completed_at",
        "anonymise",
    ),
    (
        "shipment that never arrived: anonymised two years after registration",
        "shipment_delivery",
        "parcel_shipments",
        {"created_at": OPENED, "status": "in_transit", "completed_at": None},
        "P2Y",
        "created_at",
        "anonymise",
    ),
    (
        "tracking event: deleted a year after it happened",
        "shipment_delivery",
        "parcel_tracking_events",
        {"created_at": OPENED, "occurred_at": OPENED},
        "P1Y",
        "occurred_at",
        "delete",
    ),
]


@pytest.mark.parametrize(
    ("purpose_id", "kind", "facts", "keep", "anchor", "action"),
    [row[1:] for row in RETENTION],
    ids=[row[0] for row in RETENTION],
)
def test_retention_of_one_purpose(
    policy: Policy, purpose_id: str, kind: str, facts: dict[str, Any], keep: str, anchor: str, action: str
) -> None:
    decision = decide_holds(policy, kind, facts).get(purpose_id)
    assert decision is not None, f"{purpose_id} does not hold this {kind}"
    assert (decision.keep, decision.anchor, decision.action) == (keep, anchor, action)
    start = facts[anchor]
    assert decision.expires_at == start + DURATIONS[keep]


DURATIONS: dict[str, relativedelta] = {
    "P0D": relativedelta(),
    "P1M": relativedelta(months=1),
    "P1Y": relativedelta(years=1),
    "P2Y": relativedelta(years=2),
    "P1Y6M": relativedelta(years=1, months=6),
    "P3Y6M": relativedelta(years=3, months=6),
}
"""The periods of the notice as calendar durations, written out here rather than parsed by the engine."""


# --- Lifetime: how long a chat exists at all, over every purpose that holds it -----------------------

# (case, facts, purposes holding it, the record is gone after)
LIFETIME: list[tuple[str, dict[str, Any], set[str], datetime]] = [
    ("bot-only chat", chat(), {"chatbot_answers"}, CLOSED + relativedelta(months=1)),
    ("bot-only chat deleted by the customer", chat(deleted_by_customer=True), {"chatbot_answers"}, OPENED),
    (
        "advisor chat with a complaint",
        chat(had_advisor=True, complaint=True),
        {"chatbot_answers", "advisor_chat"},
        CLOSED + relativedelta(years=3, months=6),
    ),
    (
        "advisor chat about advice or information",
        chat(had_advisor=True),
        {"chatbot_answers", "advisor_chat"},
        CLOSED + relativedelta(years=1, months=6),
    ),
]


@pytest.mark.parametrize(
    ("facts", "holders", "gone_after"), [row[1:] for row in LIFETIME], ids=[row[0] for row in LIFETIME]
)
def test_lifetime_of_a_chat(
    policy: Policy, facts: dict[str, Any], holders: set[str], gone_after: datetime
) -> None:
    decisions = decide_holds(policy, "conversation", facts)
    assert set(decisions) == holders
    last = max(d.expires_at for d in decisions.values() if d.expires_at is not None)
    assert last == gone_after
    assert any(alive(d.expires_at, gone_after - timedelta(seconds=1)) for d in decisions.values())
    assert not any(alive(d.expires_at, gone_after) for d in decisions.values())


def test_an_open_chat_is_held_until_it_closes(policy: Policy) -> None:
    """No period runs before the conversation ends: the anchor `closed_at` is not known yet."""
    decisions = decide_holds(policy, "conversation", chat(closed_at=None))
    assert decisions["chatbot_answers"].expires_at is None


def test_customer_can_read_download_and_delete_the_chat(policy: Policy) -> None:
    """4. "Du kan också ladda ner samtalet ... radera eller spara konversationen" while it is kept."""
    answers = policy.purpose("chatbot_answers")
    assert set(answers.self_service) == {"view", "download", "delete"}
    assert [p.id for p in policy.purposes if p.self_service] == ["chatbot_answers"]


# --- What the bot processes and what the samples and statistics do not --------------------------------


def test_the_shipment_number_is_the_only_personal_data_for_the_bot(policy: Policy) -> None:
    """3. "Den enda personliga informationen som är relevant för chatboten är sändningsnumret"."""
    answers = policy.purpose("chatbot_answers")
    assert set(answers.data_categories) == {"user.content.chat_log", "user.unique_id.shipment_number"}
    assert answers.records == ["conversation"]
    assert policy.purposes_holding("conversation_ip") == []  # no IP address is kept for the bot
    assert policy.purposes_holding("subject") == []  # no registration needed to use the chatbot


def test_improvement_takes_random_samples_without_personal_data(policy: Policy) -> None:
    improvement = policy.purpose("chatbot_improvement")
    assert improvement.sample_rate is not None
    assert 0 < improvement.sample_rate < 1
    assert improvement.records == []  # the sample is stored with no link to anyone
    assert not any("chatbot_improvement" in d.purposes for d in policy.datasets)


def test_statistics_hold_no_personal_data(policy: Policy) -> None:
    statistics = policy.purpose("usage_statistics")
    assert statistics.records == []
    assert statistics.retention == []
    assert not any("usage_statistics" in d.purposes for d in policy.datasets)


def test_queue_contact_details_are_used_only_to_follow_up_and_ask_for_feedback(policy: Policy) -> None:
    """6. "Informationen används inte för annat än att följa upp dina frågor och be om feedback"."""
    assert [p.id for p in policy.purposes_holding("handoff_contact")] == ["handoff_followup"]
    assert [p.id for p in policy.purposes_holding("feedback")] == ["handoff_followup"]
    followup = policy.purpose("handoff_followup")
    assert {"user.name", "user.contact.email", "user.contact.phone_number"} <= set(followup.data_categories)
    assert "frivilligt" in followup.description["sv"]  # answering the feedback question is voluntary


def test_the_advisor_purpose_holds_only_chats_that_reached_an_advisor(policy: Policy) -> None:
    assert policy.purpose("advisor_chat").applies_if == {"had_advisor": True}


# --- Who receives data --------------------------------------------------------------------------------


def test_the_chatbot_vendor_is_the_only_recipient_and_a_processor(policy: Policy) -> None:
    """5. the vendor "behandlar all personlig information om dig på våra vägnar" under a DPA."""
    assert [(r.id, r.role, r.country) for r in policy.recipients] == [("chat_vendor", "processor", "NO")]
    for purpose in policy.purposes:
        if "chat" in purpose.channels:
            assert purpose.recipients == ["chat_vendor"], purpose.id
    assert policy.purpose("shipment_delivery").recipients == []


# --- The organisation and the notice itself -----------------------------------------------------------


def test_controller_and_contact(policy: Policy) -> None:
    org = policy.organisation
    assert org.name == "Nordpost AS"
    assert orgnr.is_valid(org.org_number)
    assert org.country == "NO"
    assert [c.id for c in policy.controllers] == ["nordpost"]
    assert org.dpo.email.endswith("@example.com")
    assert org.contact.email is not None and org.contact.email.endswith("@example.com")


def test_languages_default_to_swedish(policy: Policy) -> None:
    assert policy.organisation.languages == ["sv", "nb", "da", "en"]
    assert policy.organisation.default_language == "sv"


def _local_texts(value: Any, path: str = "") -> Iterator[tuple[str, dict[str, str]]]:
    """Every localised text in the policy: a mapping whose keys are all language codes."""
    languages = {"nb", "nn", "sv", "da", "en", "fi"}
    if isinstance(value, dict):
        if value and set(value) <= languages and all(isinstance(v, str) for v in value.values()):
            yield path, value
            return
        for key, item in value.items():
            yield from _local_texts(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _local_texts(item, f"{path}[{index}]")


def test_every_text_is_in_every_language(policy: Policy) -> None:
    texts = list(_local_texts(policy.model_dump()))
    assert len(texts) >= 30
    for path, text in texts:
        assert set(text) == set(policy.languages), path
        assert all(v.strip() for v in text.values()), path


def test_version_and_change_log(loaded: LoadedPolicy) -> None:
    policy = loaded.policy
    assert policy.version == "1.0"
    assert policy.changelog and policy.effective_from is not None
    assert all(entry.date <= policy.effective_from for entry in policy.changelog)
    assert loaded.warnings == []
