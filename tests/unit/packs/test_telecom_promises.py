"""The telecom pack keeps the promises of its source document (seeds/004, a Danish operator's notice).

Each table below is a list of concrete promises read off the document, checked against
`load_pack("telecom")`. Retention promises are checked by what the engine would decide
(`tillit.retention.rules.decide_holds`) for records with given facts, so a rule in the wrong order, on the
wrong anchor or in the wrong purpose fails here even if the right durations appear in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from stdnum.dk import cvr

from tillit.marketing.rules import send_log_holders
from tillit.policy.loader import LoadedPolicy, load_pack
from tillit.policy.schema import Policy
from tillit.retention.rules import alive, decide_holds

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def loaded() -> LoadedPolicy:
    return load_pack("telecom")


@pytest.fixture(scope="module")
def policy(loaded: LoadedPolicy) -> Policy:
    return loaded.policy


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


# --- Legal basis and the subject's way out, per purpose ----------------------------------------------

# (purpose, legal basis, withdrawal, objection, direct_marketing)
BASES: list[tuple[str, str, bool, bool, bool]] = [
    # "Forretningsnødvendig": deliver the services, fix faults, operate the network
    ("network_operations", "contract", False, False, False),
    # "Kommercielle ydelser": administer the customer relationship and orders
    ("customer_relationship", "contract", False, False, False),
    # "besvarer dine forespørgsler og feedback"; "din kontakt med vores kundeservice"
    ("customer_service", "contract", False, False, False),
    # "sende dig fakturaer ... og opkræve betaling"
    ("billing", "contract", False, False, False),
    # "medmindre vi ved lov er forpligtet til at opbevare det længere"
    ("bookkeeping", "legal_obligation", False, False, False),
    # "meddelelser om køb og om fejl i tjenesten"; continues after a marketing opt-out
    ("service_messages", "contract", False, False, False),
    # "indhenter vi altid dit samtykke, før vi bruger dine personlige oplysninger til direkte markedsføring"
    ("marketing", "consent", True, False, True),
    # "Markedsføringssamtykker opbevares af dokumentationsmæssige årsager"
    ("consent_documentation", "legal_obligation", False, False, False),
    # "Logningsbekendtgørelsen"
    ("statutory_logging", "legal_obligation", False, False, False),
    # "statistikker og analyser til internt brug"
    ("statistics", "legitimate_interests", False, True, False),
]


def test_the_purposes_are_exactly_the_documents(policy: Policy) -> None:
    assert [p.id for p in policy.purposes] == [row[0] for row in BASES]


@pytest.mark.parametrize(
    ("purpose_id", "basis", "withdrawal", "objection", "direct_marketing"),
    BASES,
    ids=[row[0] for row in BASES],
)
def test_legal_basis_and_rights(
    policy: Policy, purpose_id: str, basis: str, withdrawal: bool, objection: bool, direct_marketing: bool
) -> None:
    purpose = policy.purpose(purpose_id)
    assert purpose.legal_basis == basis
    assert purpose.withdrawal is withdrawal
    assert purpose.objection is objection
    assert purpose.direct_marketing is direct_marketing


def test_the_laws_are_named(policy: Policy) -> None:
    logging = policy.purpose("statutory_logging").legal_obligation
    assert logging is not None
    assert "logningsbekendtgørelsen" in logging["da"].lower()
    assert "retsplejelovens § 786" in logging["da"].lower()
    assert "data retention order" in logging["en"]
    bookkeeping = policy.purpose("bookkeeping").legal_obligation
    assert bookkeeping is not None and "Bogføringsloven" in bookkeeping["da"]
    consents = policy.purpose("consent_documentation").legal_obligation
    assert consents is not None and "art. 7" in consents["da"]


def test_marketing_only_with_consent(policy: Policy) -> None:
    """Every direct-marketing purpose rests on a consent that can be withdrawn."""
    marketing = [p for p in policy.purposes if p.direct_marketing]
    assert [p.id for p in marketing] == ["marketing"]
    assert all(p.legal_basis == "consent" and p.withdrawal for p in marketing)


def test_opting_out_stops_marketing_but_not_service_messages(policy: Policy) -> None:
    """ "hvis du framelder dig, vil vi stoppe med at sende dig marketing kommunikation, men vi vil fortsætte
    med at sende dig serviceinformation" — withdrawing ends the consent purposes' holds only."""
    ended_by_withdrawal = {p.id for p in policy.purposes if p.withdrawal}
    assert ended_by_withdrawal == {"marketing"}
    service = policy.purpose("service_messages")
    assert service.id not in ended_by_withdrawal
    assert (service.legal_basis, service.direct_marketing, service.opt_out) == ("contract", False, False)
    shared_channels = set(service.channels) & set(policy.purpose("marketing").channels)
    assert shared_channels == {"email", "sms"}  # the same channels keep carrying service messages
    assert "serviceinformation" in service.description["da"]


# --- Retention: what the engine decides for one purpose under every condition ------------------------

CALL = {"created_at": at(2025, 3, 10), "started_at": at(2025, 3, 10)}
ACTIVE_CUSTOMER = {"created_at": at(2019, 5, 1), "contract_ended_at": None}
FORMER_CUSTOMER = {"created_at": at(2019, 5, 1), "contract_ended_at": at(2025, 2, 1)}
INVOICE = {
    "created_at": at(2023, 6, 1),
    "issued_at": at(2023, 6, 1),
    "due_at": at(2023, 6, 15),
    "paid_at": at(2023, 6, 10),
    "fiscal_year_ends_at": datetime(2024, 1, 1, tzinfo=UTC),
}
WITHDRAWN_CONSENT = {
    "created_at": at(2021, 4, 1),
    "state": "withdrawn",
    "last_used_at": at(2024, 3, 1),
    "withdrawn_at": at(2025, 1, 1),
}
VALID_CONSENT = {"created_at": at(2021, 4, 1), "state": "granted", "last_used_at": at(2022, 3, 1)}
CONVERSATION = {"created_at": at(2025, 5, 1), "closed_at": at(2025, 5, 2), "channel": "phone"}
SENT_AT = at(2025, 9, 30)
MARKETING_SENT = {
    "created_at": SENT_AT,
    "sent_at": SENT_AT,
    "channel": "sms",
    "campaign_kind": "marketing",
    "subject_kind": "customer",
}

# (case, purpose, record kind, facts, keep, anchor, action, expires_at)
RETENTION: list[tuple[str, str, str, dict[str, Any], str, str, str, datetime | None]] = [
    # "Disse oplysninger om kundernes lokation er vi ifølge bekendtgørelsen forpligtet til at gemme i et år"
    (
        "location and traffic data: logged one year, then anonymised",
        "statutory_logging",
        "telecom_call_records",
        CALL,
        "P1Y",
        "started_at",
        "anonymise",
        at(2026, 3, 10),
    ),
    (
        "traffic data for fault finding: three months",
        "network_operations",
        "telecom_call_records",
        CALL,
        "P3M",
        "started_at",
        "anonymise",
        at(2025, 6, 10),
    ),
    # "Markedsføringssamtykker opbevares ... indtil 2 år efter, at de sidst har været anvendt"
    (
        "withdrawn consent: two years after its last use",
        "consent_documentation",
        "consent_record",
        WITHDRAWN_CONSENT,
        "P2Y",
        "last_used_at",
        "delete",
        at(2026, 3, 1),
    ),
    (
        "opted-out consent: two years after its last use",
        "consent_documentation",
        "consent_record",
        {**WITHDRAWN_CONSENT, "state": "opted_out"},
        "P2Y",
        "last_used_at",
        "delete",
        at(2026, 3, 1),
    ),
    # "... så længe de er gældende": no end while the consent is in force, however old its last use
    (
        "consent in force: kept while it is in force",
        "consent_documentation",
        "consent_record",
        VALID_CONSENT,
        "P2Y",
        "withdrawn_at",
        "delete",
        None,
    ),
    # "... indtil 2 år efter, at de sidst har været anvendt": the send log shows when a consent was used
    (
        "send log of a marketing message: two years after it was sent",
        "consent_documentation",
        "marketing_send",
        MARKETING_SENT,
        "P2Y",
        "sent_at",
        "delete",
        at(2027, 9, 30),
    ),
    (
        "send log of a service message: two years after it was sent",
        "consent_documentation",
        "marketing_send",
        {**MARKETING_SENT, "campaign_kind": "service"},
        "P2Y",
        "sent_at",
        "delete",
        at(2027, 9, 30),
    ),
    (
        "customer register: while a customer",
        "customer_relationship",
        "telecom_subscribers",
        ACTIVE_CUSTOMER,
        "P1Y",
        "contract_ended_at",
        "delete",
        None,
    ),
    (
        "customer register: one year after the contract",
        "customer_relationship",
        "telecom_subscribers",
        FORMER_CUSTOMER,
        "P1Y",
        "contract_ended_at",
        "delete",
        at(2026, 2, 1),
    ),
    (
        "subscription: anonymised one year after the contract",
        "customer_relationship",
        "telecom_subscriptions",
        {**FORMER_CUSTOMER, "started_at": at(2019, 5, 1)},
        "P1Y",
        "contract_ended_at",
        "anonymise",
        at(2026, 2, 1),
    ),
    (
        "service messages: while a customer",
        "service_messages",
        "telecom_subscribers",
        ACTIVE_CUSTOMER,
        "P0D",
        "contract_ended_at",
        "delete",
        None,
    ),
    (
        "service messages: end with the contract",
        "service_messages",
        "telecom_subscribers",
        FORMER_CUSTOMER,
        "P0D",
        "contract_ended_at",
        "delete",
        at(2025, 2, 1),
    ),
    (
        "marketing: ends with the contract",
        "marketing",
        "telecom_subscribers",
        FORMER_CUSTOMER,
        "P0D",
        "contract_ended_at",
        "delete",
        at(2025, 2, 1),
    ),
    (
        "invoice for collection: three years after the due date",
        "billing",
        "telecom_invoices",
        INVOICE,
        "P3Y",
        "due_at",
        "delete",
        at(2026, 6, 15),
    ),
    (
        "invoice as accounting record: five years after the financial year",
        "bookkeeping",
        "telecom_invoices",
        INVOICE,
        "P5Y",
        "fiscal_year_ends_at",
        "delete",
        datetime(2029, 1, 1, tzinfo=UTC),
    ),
    (
        "customer service contact: one year after it closed",
        "customer_service",
        "conversation",
        CONVERSATION,
        "P1Y",
        "closed_at",
        "delete",
        at(2026, 5, 2),
    ),
]


@pytest.mark.parametrize(
    ("purpose_id", "kind", "facts", "keep", "anchor", "action", "expires_at"),
    [row[1:] for row in RETENTION],
    ids=[row[0] for row in RETENTION],
)
def test_retention_of_one_purpose(
    policy: Policy,
    purpose_id: str,
    kind: str,
    facts: dict[str, Any],
    keep: str,
    anchor: str,
    action: str,
    expires_at: datetime | None,
) -> None:
    decision = decide_holds(policy, kind, facts).get(purpose_id)
    assert decision is not None, f"{purpose_id} does not hold this {kind}"
    assert (decision.keep, decision.anchor, decision.action) == (keep, anchor, action)
    assert decision.expires_at == expires_at


def test_location_data_lives_exactly_one_year(policy: Policy) -> None:
    """Over every purpose that holds a call record: kept one year from the call, then anonymised."""
    decisions = decide_holds(policy, "telecom_call_records", CALL)
    assert set(decisions) == {"network_operations", "statutory_logging"}
    last = max(decisions.values(), key=lambda d: d.expires_at or datetime.max.replace(tzinfo=UTC))
    assert last.purpose == "statutory_logging"
    assert last.expires_at == CALL["started_at"] + relativedelta(years=1)
    assert last.action == "anonymise"
    assert alive(last.expires_at, at(2026, 3, 9)) and not alive(last.expires_at, at(2026, 3, 11))


def test_consents_are_held_only_for_documentation(policy: Policy) -> None:
    """Withdrawal ends marketing's holds; the consent record itself is held by a purpose that survives it."""
    holders = policy.purposes_holding("consent_record")
    assert [p.id for p in holders] == ["consent_documentation"]
    assert not holders[0].withdrawal


def test_the_send_log_is_kept_two_years_as_evidence_of_the_consents_use(policy: Policy) -> None:
    """ "Markedsføringssamtykker opbevares af dokumentationsmæssige årsager, så længe de er gældende og
    indtil 2 år efter, at de sidst har været anvendt": each entry of the send log is the evidence of a use,
    so the documentation purpose (a legal obligation, which neither a withdrawal nor an erasure ends) holds
    it 2 years from sending, and nothing else does: not the marketing purpose, whose holds end with the
    consent. Both a marketing campaign's and a service message's entries get that hold (the dispatcher
    gives an entry the holds of `send_log_holders`)."""
    assert [p.id for p in policy.purposes_holding("marketing_send")] == ["consent_documentation"]
    assert policy.purpose("consent_documentation").legal_basis == "legal_obligation"
    assert send_log_holders(policy, "marketing") == ["consent_documentation"]
    assert send_log_holders(policy, "service_messages") == ["consent_documentation"]
    decisions = decide_holds(policy, "marketing_send", MARKETING_SENT)
    assert set(decisions) == {"consent_documentation"}
    expires_at = decisions["consent_documentation"].expires_at
    assert expires_at == SENT_AT + relativedelta(years=2)
    assert alive(expires_at, at(2027, 9, 29)) and not alive(expires_at, at(2027, 10, 1))


def test_the_notice_says_how_long_the_send_log_is_kept(policy: Policy) -> None:
    documentation = policy.purpose("consent_documentation")
    assert "loggen over de beskeder, vi har sendt dig" in documentation.description["da"]
    assert "i 2 år efter afsendelsen" in documentation.description["da"]
    assert "log of the messages we have sent you" in documentation.description["en"]
    [rule] = [r for r in documentation.retention if r.when == {"record_kind": "marketing_send"}]
    assert rule.note is not None and set(rule.note) == set(policy.languages)
    assert "user.behavior.message_history" in documentation.data_categories


def test_an_invoice_lives_as_long_as_bookkeeping_requires(policy: Policy) -> None:
    decisions = decide_holds(policy, "telecom_invoices", INVOICE)
    assert set(decisions) == {"billing", "bookkeeping"}
    assert max(d.expires_at for d in decisions.values() if d.expires_at) == datetime(2029, 1, 1, tzinfo=UTC)


# --- Who sees and who receives -------------------------------------------------------------------------


def test_only_security_cleared_staff_see_the_logged_data(policy: Policy) -> None:
    """ "Det er kun sikkerhedsgodkendt personale, der har adgang til informationerne"."""
    assert policy.purpose("statutory_logging").staff_roles == ["security_officer"]
    assert "statutory_logging" in policy.dataset("telecom_call_records").purposes
    assert "user.location.cell_site" in policy.purpose("statutory_logging").data_categories


# (recipient, role, country, the purposes that disclose to it)
RECIPIENTS: list[tuple[str, str, str, list[str]]] = [
    # "Vi udleverer kun disse oplysninger til politiet på baggrund af en dommerkendelse"
    ("police", "authority", "DK", ["statutory_logging"]),
    # "vi og udvalgte tredjeparter med din tilladelse"
    ("marketing_partners", "third_party", "DK", ["marketing"]),
]


def test_recipients_are_exactly_the_documents(policy: Policy) -> None:
    declared = [
        (r.id, r.role, r.country, [p.id for p in policy.purposes if r.id in p.recipients])
        for r in policy.recipients
    ]
    assert declared == RECIPIENTS
    # the notice names no processors, so the pack declares none
    assert not [r for r in policy.recipients if r.role in ("processor", "sub_processor")]


def test_the_police_receive_data_only_on_a_court_order(policy: Policy) -> None:
    police = policy.recipient("police")
    assert police is not None
    assert "dommerkendelse" in police.service["da"]
    assert "court order" in police.service["en"]


# --- Where the data comes from ---------------------------------------------------------------------------

# (source, kind, a purpose that names it)
SOURCES: list[tuple[str, str, str]] = [
    ("you", "subject", "customer_relationship"),  # 1. "Oplysninger, som du selv giver os"
    ("network", "automatic", "statutory_logging"),  # 2. "Oplysninger, som vi indsamler automatisk"
    ("credit_bureaus", "third_party", "customer_relationship"),  # 3. "kreditoplysningsbureauer"
    ("lookup_providers", "third_party", "customer_relationship"),  # 3. "søgeinformationsudbydere"
]


@pytest.mark.parametrize(("source_id", "kind", "purpose_id"), SOURCES, ids=[row[0] for row in SOURCES])
def test_sources(policy: Policy, source_id: str, kind: str, purpose_id: str) -> None:
    source = next(s for s in policy.sources if s.id == source_id)
    assert source.kind == kind
    assert source_id in policy.purpose(purpose_id).sources


def test_all_three_kinds_of_source_are_declared(policy: Policy) -> None:
    assert {s.kind for s in policy.sources} == {"subject", "automatic", "third_party"}
    assert [s.id for s in policy.sources] == [row[0] for row in SOURCES]


def test_the_data_the_customer_gives(policy: Policy) -> None:
    """1. "navn, adresse, e-mail, telefonnummer og CPR-nummer ... betalingsoplysninger samt typen af
    kontrakt" and "din kontakt med vores kundeservice"."""
    given = set(policy.purpose("customer_relationship").data_categories)
    assert {
        "user.name",
        "user.contact.address",
        "user.contact.email",
        "user.contact.phone_number",
        "user.government_id.national_identification_number",
        "user.financial.bank_account",
        "user.account.subscription",
    } <= given
    assert "user.content.customer_service" in policy.purpose("customer_service").data_categories


def test_the_data_collected_automatically(policy: Policy) -> None:
    """2. usage including calls, and the phone's location, for logging and for running the network."""
    for purpose_id in ("network_operations", "statutory_logging"):
        categories = set(policy.purpose(purpose_id).data_categories)
        assert {"user.behavior.traffic_data", "user.location.cell_site"} <= categories, purpose_id
        assert policy.purpose(purpose_id).sources == ["network"]


def test_statistics_are_internal_and_hold_no_records(policy: Policy) -> None:
    statistics = policy.purpose("statistics")
    assert statistics.recipients == []
    assert statistics.records == []
    assert not any("statistics" in d.purposes for d in policy.datasets)
    assert statistics.legitimate_interest is not None


# --- The organisation and the notice itself -------------------------------------------------------------


def test_controller_and_contact(policy: Policy) -> None:
    org = policy.organisation
    assert org.name == "Nordtel A/S"
    assert cvr.is_valid(org.org_number.removeprefix("CVR "))
    assert org.country == "DK"
    assert [c.id for c in policy.controllers] == ["nordtel"]
    assert org.dpo.email.endswith("@example.com")


def test_languages_default_to_danish(policy: Policy) -> None:
    assert policy.organisation.languages == ["da", "en"]
    assert policy.organisation.default_language == "da"


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
    assert len(texts) >= 50
    for path, text in texts:
        assert set(text) == set(policy.languages), path
        assert all(v.strip() for v in text.values()), path


def test_version_and_change_log(loaded: LoadedPolicy) -> None:
    policy = loaded.policy
    assert policy.version == "1.0"
    assert policy.changelog and policy.effective_from is not None
    assert all(entry.date <= policy.effective_from for entry in policy.changelog)
    assert loaded.warnings == []
