"""The bank pack keeps the promises of its two source documents.

seeds/000 (Norwegian): customer service, chat and the chatbot (Aino in the source, Nora here).
seeds/001 (English): marketing. Each table below lists concrete promises read off a document, with the
sentence they come from, checked against `load_pack("bank")`. Retention promises are checked by what the
engine decides (`tillit.retention.rules.decide_holds`) for records with given facts, not by reading the
YAML back, so a rule in the wrong order or on the wrong anchor fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from stdnum.no import orgnr

from tillit.policy.loader import LoadedPolicy, load_pack, pack_policy_path
from tillit.policy.schema import EEA_COUNTRIES, Policy
from tillit.retention.rules import decide_holds

LANGUAGES = {"nb", "en"}


@pytest.fixture(scope="module")
def loaded() -> LoadedPolicy:
    return load_pack("bank")


@pytest.fixture(scope="module")
def policy(loaded: LoadedPolicy) -> Policy:
    return loaded.policy


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


def test_the_pack_loads_without_lint_findings(loaded: LoadedPolicy) -> None:
    assert loaded.warnings == []
    org = loaded.policy.organisation
    assert (org.languages, org.default_language) == (["nb", "en"], "nb")


# --- Legal basis and the subject's way out, per purpose ----------------------------------------------

# (purpose, legal basis, withdrawal, objection, opt_out, direct_marketing)
BASES: list[tuple[str, str, bool, bool, bool, bool]] = [
    # 000 "Det rettslige grunnlaget for behandlingen er å kunne oppfylle avtalen vi har med deg."
    ("customer_service", "contract", False, False, False, False),
    # 000 "Vi behandler din digitale adferdsinformasjon ... basert på ditt samtykke. Du kan når som helst
    # endre valgene dine."
    ("service_digital_behaviour", "consent", True, False, False, False),
    # 000 "basert på vår berettigede interesse i å tilby en chatbot"; "Vi vil alltid vurdere din protest"
    ("chatbot", "legitimate_interests", False, True, False, False),
    # 000 "berettiget interesse i å kunne analysere chatloggene ... kan du protestere mot denne behandlingen"
    ("chatbot_improvement", "legitimate_interests", False, True, False, False),
    # 000 the archive is part of the chatbot, on the same legitimate interest
    ("chat_archive", "legitimate_interests", False, True, False, False),
    # 000 "for å forhindre skadelig bruk av tjenesten": the chat's IP address
    ("chat_safety", "legitimate_interests", False, True, False, False),
    # 001 "will only send you personalized marketing if you have actively consented"; "can be withdrawn"
    ("personalised_marketing", "consent", True, False, False, True),
    # 001 "you can give us your consent to contact you about this via e-mail or SMS"
    ("email_sms_marketing", "consent", True, False, False, True),
    # 001 "We have a legitimate interest in reusing your information"; "you can opt out"
    ("simple_marketing", "legitimate_interests", False, True, True, True),
    # 001 "We have a legitimate interest in this processing"; "You can reserve against ... customer
    # connection in external channels"
    ("customer_matching", "legitimate_interests", False, True, True, True),
    # 001 customer events (the document states no basis; invitations are direct marketing, Art. 21(2-3))
    ("customer_events", "legitimate_interests", False, True, True, True),
    # 001 "In order to share customer information between ... we need your consent"
    ("group_sharing", "consent", True, False, False, False),
    # not in the documents: the bank tables' own lifecycle (see the head of policy.yaml)
    ("customer_relationship", "contract", False, False, False, False),
    ("statutory_retention", "legal_obligation", False, False, False, False),
]


def test_the_purposes_are_exactly_the_documents(policy: Policy) -> None:
    assert [p.id for p in policy.purposes] == [row[0] for row in BASES]


@pytest.mark.parametrize(
    ("purpose_id", "basis", "withdrawal", "objection", "opt_out", "direct_marketing"),
    BASES,
    ids=[row[0] for row in BASES],
)
def test_legal_basis_and_rights(
    policy: Policy,
    purpose_id: str,
    basis: str,
    withdrawal: bool,
    objection: bool,
    opt_out: bool,
    direct_marketing: bool,
) -> None:
    purpose = policy.purpose(purpose_id)
    assert purpose.legal_basis == basis
    assert (purpose.withdrawal, purpose.objection, purpose.opt_out, purpose.direct_marketing) == (
        withdrawal,
        objection,
        opt_out,
        direct_marketing,
    )
    if basis == "legitimate_interests":
        assert purpose.legitimate_interest is not None
        assert set(purpose.legitimate_interest) == LANGUAGES
    if basis == "legal_obligation":
        assert purpose.legal_obligation is not None
        assert "hvitvaskingsloven" in purpose.legal_obligation["nb"].lower()


def test_the_legitimate_interests_are_the_documents_words(policy: Policy) -> None:
    def interest(purpose_id: str) -> dict[str, str]:
        text = policy.purpose(purpose_id).legitimate_interest
        assert text is not None
        return text

    assert "tilby en chatbot" in interest("chatbot")["nb"]
    assert "analysere chatloggene" in interest("chatbot_improvement")["nb"]
    assert "lære chatboten" in interest("chatbot_improvement")["nb"]
    assert "reusing your information" in interest("simple_marketing")["en"]
    assert "marketing and advertising" in interest("customer_matching")["en"]


# --- Retention: what the engine decides for records with these facts -------------------------------

CLOSED = at(2025, 1, 2)
CHAT = {"created_at": at(2025, 1, 2), "closed_at": CLOSED, "channel": "chat"}

# (case, record kind, facts, {purpose: expires_at}); purposes absent from the mapping must not hold it.
RETENTION: list[tuple[str, str, dict[str, Any], dict[str, datetime | None]]] = [
    (
        # 000 "Vi lagrer chatloggene for analyse og forbedringsformål i 1 år."
        "anonymous bot-only chat: 1 year for analysis and improvement",
        "conversation",
        {**CHAT, "authenticated": False, "had_advisor": False},
        {"chatbot": CLOSED, "chatbot_improvement": at(2026, 1, 2)},
    ),
    (
        # 000 "Chattloggen fra innlogget samtale vil være tilgjengelig for deg i nettbanken i tre år."
        "logged-in bot-only chat: also 3 years in the customer's archive",
        "conversation",
        {**CHAT, "authenticated": True, "had_advisor": False},
        {"chatbot": CLOSED, "chatbot_improvement": at(2026, 1, 2), "chat_archive": at(2028, 1, 2)},
    ),
    (
        # 000 "Hvis du har snakket med en kunderådgiver, lagrer vi chatloggen i 5 år."
        "logged-in chat with an advisor: 5 years for customer service",
        "conversation",
        {**CHAT, "authenticated": True, "had_advisor": True},
        {
            "customer_service": at(2030, 1, 2),
            "chatbot": CLOSED,
            "chatbot_improvement": at(2026, 1, 2),
            "chat_archive": at(2028, 1, 2),
        },
    ),
    (
        "a chat still open: held, no expiry until it closes",
        "conversation",
        {**CHAT, "closed_at": None, "authenticated": True, "had_advisor": True},
        {"customer_service": None, "chatbot": None, "chatbot_improvement": None, "chat_archive": None},
    ),
    (
        # 000 "Vi oppbevarer opplysninger i 5 år ved øvrig kundeservice." (phone to the customer centre)
        "phone call to the customer centre: 5 years",
        "conversation",
        {"created_at": at(2024, 3, 1), "closed_at": at(2024, 3, 1), "channel": "phone", "had_advisor": True},
        {"customer_service": at(2029, 3, 1)},
    ),
    (
        "letter answered by an advisor: 5 years",
        "conversation",
        {"created_at": at(2024, 3, 1), "closed_at": at(2024, 3, 5), "channel": "letter", "had_advisor": True},
        {"customer_service": at(2029, 3, 5)},
    ),
    (
        # 000 "Da behandler vi bare din IP-adresse ...": a record of its own, held by its own purpose
        "IP address of an anonymous chat: held on its own, 1 year",
        "conversation_ip",
        {"created_at": at(2025, 1, 2), "closed_at": CLOSED, "authenticated": False},
        {"chat_safety": at(2026, 1, 2)},
    ),
    (
        "IP address of a logged-in chat",
        "conversation_ip",
        {"created_at": at(2025, 1, 2), "closed_at": CLOSED, "authenticated": True},
        {"chat_safety": at(2026, 1, 2)},
    ),
    (
        # 001 "We keep a log of what we have sent out ... and how they respond for up to 5 years."
        "marketing send log: 5 years for every marketing purpose that sends",
        "marketing_send_log",
        {"created_at": at(2020, 3, 1), "sent_at": at(2020, 3, 1)},
        {
            "personalised_marketing": at(2025, 3, 1),
            "email_sms_marketing": at(2025, 3, 1),
            "simple_marketing": at(2025, 3, 1),
        },
    ),
    (
        # 001 the same promise for tillit's own send log (marketing.dispatcher holds each entry only for
        # the campaign's purpose, by excluding the others)
        "tillit's marketing send log: 5 years for every marketing purpose that sends",
        "marketing_send",
        {"created_at": at(2020, 3, 1), "sent_at": at(2020, 3, 1), "channel": "email"},
        {
            "personalised_marketing": at(2025, 3, 1),
            "email_sms_marketing": at(2025, 3, 1),
            "simple_marketing": at(2025, 3, 1),
        },
    ),
    (
        # 001 "We store your personal data for 3 years for personalized marketing."
        "marketing profile: 3 years, and only for personalised marketing (consent)",
        "marketing_profile",
        {"created_at": at(2023, 5, 5)},
        {"personalised_marketing": at(2026, 5, 5)},
    ),
    (
        # 001 "3 years for personalized marketing" / "3 years for less detailed marketing";
        # 000 digital behaviour for customer service on consent, "5 år ved øvrig kundeservice"
        "digital behaviour: 3 years for marketing, 5 years for customer service on consent",
        "digital_events",
        {"created_at": at(2023, 5, 5)},
        {
            "service_digital_behaviour": at(2028, 5, 5),
            "personalised_marketing": at(2026, 5, 5),
            "simple_marketing": at(2026, 5, 5),
        },
    ),
    (
        # 001 "After the search has been completed, the encrypted contact list ... is deleted."
        "customer-matching list: deleted when the matching is complete",
        "matching_export",
        {"created_at": at(2025, 6, 1), "matched_at": at(2025, 6, 2), "recipient": "social_platforms"},
        {"customer_matching": at(2025, 6, 2)},
    ),
    (
        "customer-matching list not yet matched: held until the recipient is done",
        "matching_export",
        {"created_at": at(2025, 6, 1), "matched_at": None, "recipient": "news_media"},
        {"customer_matching": None},
    ),
    (
        "current customer: kept while the relationship lasts",
        "customers",
        {"created_at": at(2015, 1, 1), "closed_at": None},
        {"customer_relationship": None, "statutory_retention": None},
    ),
    (
        "former customer: 5 years after the relationship ended (not in the documents: the law)",
        "customers",
        {"created_at": at(2015, 1, 1), "closed_at": at(2021, 3, 1)},
        {"customer_relationship": at(2021, 3, 1), "statutory_retention": at(2026, 3, 1)},
    ),
    (
        "closed account: 5 years after closing",
        "accounts",
        {"created_at": at(2015, 1, 1), "closed_at": at(2022, 8, 1)},
        {"customer_relationship": at(2022, 8, 1), "statutory_retention": at(2027, 8, 1)},
    ),
    (
        "card: kept while it is valid",
        "cards",
        {"created_at": at(2020, 1, 1), "closed_at": at(2024, 1, 1)},
        {"customer_relationship": at(2024, 1, 1)},
    ),
    (
        "transaction: 5 years after it was booked",
        "transactions",
        {"created_at": at(2019, 11, 30)},
        {"statutory_retention": at(2024, 11, 30)},
    ),
]


@pytest.mark.parametrize(("case", "kind", "facts", "expected"), RETENTION, ids=[row[0] for row in RETENTION])
def test_retention(
    policy: Policy, case: str, kind: str, facts: dict[str, Any], expected: dict[str, datetime | None]
) -> None:
    decisions = decide_holds(policy, kind, facts)
    assert {purpose: d.expires_at for purpose, d in decisions.items()} == expected, case


def test_an_advisor_joining_turns_one_year_into_five(policy: Policy) -> None:
    """DESIGN §1: the moment an advisor joins, the customer-service hold becomes 5 years from the end."""

    def longest(facts: dict[str, Any]) -> datetime:
        decisions = decide_holds(policy, "conversation", facts)
        return max(d.expires_at for d in decisions.values() if d.expires_at is not None)

    bot_only = {**CHAT, "authenticated": False, "had_advisor": False}
    assert longest(bot_only) == at(2026, 1, 2)
    assert longest({**bot_only, "authenticated": True, "had_advisor": True}) == at(2030, 1, 2)


def test_the_ip_address_is_held_only_by_its_own_purpose(policy: Policy) -> None:
    assert [p.id for p in policy.purposes_holding("conversation_ip")] == ["chat_safety"]
    assert policy.purpose("chat_safety").data_categories == ["user.device.ip_address"]
    chat_log_holders = {p.id for p in policy.purposes_holding("conversation")}
    assert "chat_safety" not in chat_log_holders


def test_the_archive_is_the_customers_own_view_of_logged_in_chats(policy: Policy) -> None:
    archive = policy.purpose("chat_archive")
    assert archive.applies_if == {"channel": "chat", "authenticated": True}
    assert archive.self_service == ["view"]
    assert archive.channels == ["online_bank"]


def test_customer_service_reaches_only_conversations_with_an_advisor(policy: Policy) -> None:
    """000: advisor chat is a logged-in service, and advisors "vil da motta chatloggen"."""
    service = policy.purpose("customer_service")
    assert service.applies_if == {"had_advisor": True}
    assert set(service.staff_roles) == {"advisor", "supervisor"}


# --- Consent, opt-out and reservation per channel -----------------------------------------------------


def test_the_consents_are_exactly_the_documents(policy: Policy) -> None:
    consents = {p.id for p in policy.purposes if p.legal_basis == "consent"}
    assert consents == {
        "service_digital_behaviour",
        "personalised_marketing",
        "email_sms_marketing",
        "group_sharing",
    }
    assert all(policy.purpose(p).withdrawal for p in consents)


# (purpose, channels it uses, channels the subject can reserve against; None: no per-channel opt-out)
CHANNELS: list[tuple[str, set[str], set[str] | None]] = [
    # 001 "not contact you via SMS, e-mail, message in the online bank, phone or letter ..., or request a
    # reservation in all these channels"; it also markets in the apps, on the website and via advisors
    (
        "simple_marketing",
        {"sms", "email", "online_bank", "phone", "letter", "app", "web", "in_person"},
        {"sms", "email", "online_bank", "phone", "letter"},
    ),
    # 001 "You can reserve against your personal data being used for customer connection in external
    # channels": the whole purpose
    ("customer_matching", {"external_channels", "social"}, {"external_channels", "social"}),
    # 001 "consent to contact you about this via e-mail or SMS"
    ("email_sms_marketing", {"email", "sms"}, None),
    # 001 "Mobilbanken and Spare apps, ... dnb.no and via our advisors"
    ("personalised_marketing", {"app", "web", "online_bank", "in_person"}, None),
    # 000 "både digitalt, via brev og telefon", chat, social media
    ("customer_service", {"chat", "phone", "letter", "online_bank", "app", "social"}, None),
]


@pytest.mark.parametrize(("purpose_id", "channels", "reservable"), CHANNELS, ids=[r[0] for r in CHANNELS])
def test_channels_and_reservation(
    policy: Policy, purpose_id: str, channels: set[str], reservable: set[str] | None
) -> None:
    purpose = policy.purpose(purpose_id)
    assert set(purpose.channels) == channels
    if reservable is None:
        assert not purpose.opt_out
    else:
        assert purpose.opt_out
        assert set(purpose.opt_out_channels or purpose.channels) == reservable


def test_how_to_reserve_is_stated_in_both_languages(policy: Policy) -> None:
    """001: reserve by calling the customer advisers, or in the app for the app-only brand."""
    for purpose_id in ("simple_marketing", "customer_matching"):
        description = policy.purpose(purpose_id).description
        assert "22 00 00 00" in description["nb"] and "22 00 00 00" in description["en"]
        assert "i appen" in description["nb"] and "in the app" in description["en"]


# --- Generative AI ----------------------------------------------------------------------------------


def test_generated_answers_may_contain_errors(policy: Policy) -> None:
    """000: "benytter vi i enkelte tilfeller generativ AI. Svarene kan inneholde feil." """
    generative = policy.purpose("chatbot").generative_ai
    assert generative is not None
    assert "kan inneholde feil" in generative.disclaimer["nb"]
    assert "may contain errors" in generative.disclaimer["en"]
    assert "language_model" in policy.purpose("chatbot").recipients


def test_no_data_trains_the_language_model(policy: Policy) -> None:
    """000: "Ingen av dine opplysninger brukes til å trene språkmodellen." """
    for purpose in policy.purposes:
        assert purpose.fides_data_use != "train_ai_system", purpose.id
        assert purpose.generative_ai is None or not purpose.generative_ai.trains_model, purpose.id
    for purpose_id in ("chatbot", "chatbot_improvement"):
        description = policy.purpose(purpose_id).description
        assert "brukes til å trene språkmodellen" in description["nb"]
        assert "used to train the language model" in description["en"]


# --- Controllers --------------------------------------------------------------------------------------


def test_customer_service_has_three_independent_controllers(policy: Policy) -> None:
    """000: "DNB Bank ASA, DNB Asset Management og DNB Livsforsikring er selvstendig behandlingsansvarlig"."""
    service = policy.purpose("customer_service")
    assert service.controllers == ["nordbank", "nordbank_am", "nordbank_liv"]
    assert service.controllership == "independent"
    assert not service.joint


def test_customer_events_are_under_joint_controllership(policy: Policy) -> None:
    """001: "will have a joint controllership with the companies in the group that collaborate"."""
    events = policy.purpose("customer_events")
    assert events.joint
    assert "nordbank" in events.controllers and len(events.controllers) > 1


def test_every_other_purpose_has_the_bank_alone_as_controller(policy: Policy) -> None:
    """Both documents: "DNB Bank ASA er ansvarlig" / "is responsible for the processing"."""
    for purpose in policy.purposes:
        if purpose.id not in ("customer_service", "customer_events"):
            assert purpose.controllers == ["nordbank"], purpose.id


# --- Recipients and transfers -----------------------------------------------------------------------

# (purpose, recipients it must list exactly): who receives what, as the documents pair them
PURPOSE_RECIPIENTS: list[tuple[str, set[str]]] = [
    # 000 "Vi deler opplysningene med våre databehandlere", incl. the social-media tool
    ("customer_service", {"it_operations", "chat_platform", "social_inbox"}),
    ("chatbot", {"chat_platform", "language_model", "it_operations"}),
    # 001 "suppliers who provide analysis, segmentation and profiling services as well as advertising"
    ("personalised_marketing", {"marketing_analytics", "advertising_agency"}),
    # 001 "suppliers who provide analysis, segmentation and advertising"
    ("simple_marketing", {"marketing_analytics", "advertising_agency"}),
    # 001 "We may share contact details with social media and external news media."
    ("customer_matching", {"social_platforms", "news_media"}),
    # 001 sharing "between, for example, banks, insurance, savings and investment"
    ("group_sharing", {"group_asset_management", "group_life_insurance"}),
]


@pytest.mark.parametrize(
    ("purpose_id", "recipients"), PURPOSE_RECIPIENTS, ids=[r[0] for r in PURPOSE_RECIPIENTS]
)
def test_purpose_recipients(policy: Policy, purpose_id: str, recipients: set[str]) -> None:
    assert set(policy.purpose(purpose_id).recipients) == recipients


def test_customer_service_and_the_chatbot_share_only_with_processors(policy: Policy) -> None:
    for purpose_id in ("customer_service", "chatbot", "chatbot_improvement", "chat_archive", "chat_safety"):
        for recipient_id in policy.purpose(purpose_id).recipients:
            recipient = policy.recipient(recipient_id)
            assert recipient is not None and recipient.role == "processor", (purpose_id, recipient_id)


def test_group_companies_receive_as_controllers(policy: Policy) -> None:
    for recipient_id in ("group_asset_management", "group_life_insurance"):
        recipient = policy.recipient(recipient_id)
        assert recipient is not None and recipient.role == "controller"


def test_no_transfer_leaves_the_eea(policy: Policy) -> None:
    """Neither document mentions a transfer outside the EU/EEA, so no recipient may be outside it."""
    assert all(r.country in EEA_COUNTRIES for r in policy.recipients)
    assert all(r.transfer_safeguard is None for r in policy.recipients)


# --- What data, for which purpose ---------------------------------------------------------------------

# (purpose, document term, a category the purpose must declare or cover)
CATEGORIES: list[tuple[str, str, str]] = [
    # 000, "Hvilke personopplysninger behandler vi?" (customer service and the chatbot)
    *[
        (purpose_id, term, key)
        for purpose_id in ("customer_service", "chatbot")
        for term, key in [
            ("Chatlogger", "user.content.chat_log"),
            ("IP-adresse", "user.device.ip_address"),
            ("Kundeprogram", "user.account.customer_programme"),
            ("Identifikasjonsinformasjon", "user.government_id.national_identification_number"),
            ("Identifikasjonsinformasjon", "user.name"),
            ("Finansielle opplysninger", "user.financial.bank_account"),
            ("Kontaktopplysninger", "user.contact.email"),
        ]
    ],
    ("service_digital_behaviour", "Digital adferdsinformasjon", "user.behavior.digital"),
    # 001 personalised marketing
    ("personalised_marketing", "Address and contact details", "user.contact.address"),
    ("personalised_marketing", "Customer agreements", "user.financial.agreement"),
    ("personalised_marketing", "Payments and transactions", "user.financial.transaction"),
    ("personalised_marketing", "Account balance", "user.financial.account_balance"),
    ("personalised_marketing", "Information about the employer", "user.workplace"),
    ("personalised_marketing", "Personnel: age", "user.demographic.age_range"),
    ("personalised_marketing", "Personnel: gender", "user.demographic.gender"),
    ("personalised_marketing", "System log and digital behaviour", "user.behavior.digital"),
    ("personalised_marketing", "Demographic information", "user.demographic.profile"),
    ("personalised_marketing", "Contact history", "user.content.contact_history"),
    ("personalised_marketing", "prediction models", "user.behavior.propensity_score"),
    # 001 less detailed marketing
    ("simple_marketing", "Address and contact details", "user.contact.phone_number"),
    ("simple_marketing", "Customer agreements", "user.financial.agreement"),
    ("simple_marketing", "Account balance", "user.financial.account_balance"),
    ("simple_marketing", "Personnel: age", "user.demographic.age_range"),
    ("simple_marketing", "System log and digital behaviour", "user.behavior.digital"),
    ("simple_marketing", "Demographic information", "user.demographic.profile"),
    ("simple_marketing", "Contact history", "user.content.contact_history"),
    # 001 customer matching: "Address and contact details, like telephone number and e-mail adress"
    ("customer_matching", "telephone number", "user.contact.phone_number"),
    ("customer_matching", "e-mail adress", "user.contact.email"),
]


def _covers(listed: list[str], key: str) -> bool:
    return any(key == item or key.startswith(item + ".") for item in listed)


@pytest.mark.parametrize(
    ("purpose_id", "term", "key"), CATEGORIES, ids=[f"{r[0]}:{r[2]}" for r in CATEGORIES]
)
def test_categories_of_the_documents(policy: Policy, purpose_id: str, term: str, key: str) -> None:
    assert _covers(policy.purpose(purpose_id).data_categories, key), term


def test_less_detailed_marketing_is_less_detailed(policy: Policy) -> None:
    """001: the simpler list has no payments and transactions, no employer, and no prediction models."""
    listed = policy.purpose("simple_marketing").data_categories
    for key in ("user.financial.transaction", "user.workplace", "user.behavior.propensity_score"):
        assert not _covers(listed, key), key


def test_profiles_exist_only_with_consent(policy: Policy) -> None:
    """001: "Use of personal profiles and in-depth insight ... will only take place if you have given your
    consent"."""
    assert policy.dataset("marketing_profile").purposes == ["personalised_marketing"]
    profilers = {p.id for p in policy.purposes if p.fides_data_use == "marketing.advertising.profiling"}
    assert profilers == {"personalised_marketing"}


def test_the_send_log_serves_every_purpose_that_sends_marketing(policy: Policy) -> None:
    assert set(policy.dataset("marketing_send_log").purposes) == {
        "personalised_marketing",
        "simple_marketing",
        "email_sms_marketing",
    }


def test_anonymous_chat_users_are_data_subjects_of_the_chat_purposes_only(policy: Policy) -> None:
    with_visitors = {p.id for p in policy.purposes if "visitor" in p.data_subjects}
    assert with_visitors == {"chatbot", "chatbot_improvement", "chat_safety"}


# --- Fictional, complete, in both languages -----------------------------------------------------------


def test_the_organisations_are_fictional(policy: Policy) -> None:
    numbers = [policy.organisation.org_number, *(c.org_number or "" for c in policy.controllers)]
    assert all(orgnr.is_valid(number) for number in numbers), numbers
    assert policy.organisation.name == "Nordbank ASA"
    text = pack_policy_path("bank").read_text(encoding="utf-8")
    for real in ("DNB", "Aino", "Sbanken", "915 04800", "dnb.no"):
        assert real not in text, real
    emails = [policy.organisation.contact.email, policy.organisation.dpo.email]
    assert all(e is not None and e.endswith(".example.com") for e in emails)


def test_every_localised_text_is_in_both_languages(loaded: LoadedPolicy) -> None:
    def texts(node: object) -> list[dict[str, Any]]:
        if isinstance(node, dict):
            if node and set(node) <= {"nb", "sv", "da", "en", "fi", "nn"}:
                return [node]
            return [t for value in node.values() for t in texts(value)]
        if isinstance(node, list):
            return [t for item in node for t in texts(item)]
        return []

    found = texts(loaded.document.data)
    assert len(found) > 50
    for text in found:
        assert set(text) == LANGUAGES and all(str(v).strip() for v in text.values()), text


def test_version_and_changelog(policy: Policy) -> None:
    assert policy.version
    assert policy.effective_from is not None
    assert len(policy.changelog) >= 2
    assert all(entry.date <= policy.effective_from for entry in policy.changelog)
