"""The saas pack keeps the promises of its source document (seeds/003, a software company's notice).

Each table below is a list of concrete promises read off the document, checked against `load_pack("saas")`.
Retention promises are checked by what the engine would decide (`tillit.retention.rules.decide_holds`) for
records with given facts, not by reading the YAML back, so a rule in the wrong order or on the wrong
anchor fails here even if the right numbers appear somewhere in the file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from stdnum.no import orgnr

from tillit.marketing.rules import send_log_holders
from tillit.policy.loader import LoadedPolicy, load_pack
from tillit.policy.schema import EEA_COUNTRIES, Policy
from tillit.retention.rules import decide_holds, parse_duration


@pytest.fixture(scope="module")
def loaded() -> LoadedPolicy:
    return load_pack("saas")


@pytest.fixture(scope="module")
def policy(loaded: LoadedPolicy) -> Policy:
    return loaded.policy


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


# --- Legal basis and the subject's way out, per purpose (sections 1.1-1.4, 2, 3) -----------------------

# (purpose, legal basis, withdrawal, objection, opt_out, direct_marketing)
BASES: list[tuple[str, str, bool, bool, bool, bool]] = [
    # 1.1 login, security: "legitime interesser i å sørge for trygg og sikker innlogging"
    ("service_security", "legitimate_interests", False, True, False, False),
    # 1.1 improvement: "legitime kommersielle interesser å gjennomføre slike forbedringer"
    ("service_improvement", "legitimate_interests", False, True, False, False),
    # 1.2 information and support (chat): contract for private, legitimate interests for business customers
    ("customer_support_private", "contract", False, False, False, False),
    ("customer_support_business", "legitimate_interests", False, True, False, False),
    # not in the notice: chats from visitors who are not logged in (e.g. cannot log in) need a holder
    ("visitor_support", "legitimate_interests", False, True, False, False),
    # 1.2 administering the customer relationship: the same split
    ("customer_administration_private", "contract", False, False, False, False),
    ("customer_administration_business", "legitimate_interests", False, True, False, False),
    # 1.2 payment: contract (private), legitimate interests (business), bookkeeping act in both cases
    ("billing_private", "contract", False, False, False, False),
    ("billing_business", "legitimate_interests", False, True, False, False),
    ("bookkeeping", "legal_obligation", False, False, False, False),
    # 1.3 marketing: consent, or legitimate interests where the marketing act allows it for customers
    ("marketing_consent", "consent", True, False, False, True),
    ("marketing_existing_customers", "legitimate_interests", False, True, True, True),
    # 1.3 voluntary customer surveys and prospecting on social media
    ("customer_surveys", "legitimate_interests", False, True, False, False),
    ("prospecting_social_media", "legitimate_interests", False, True, False, False),
    # 1.4 recruitment: steps at the applicant's request before a contract
    ("recruitment", "contract", False, False, False, False),
    # 2 cookies: "kan du velge om du vil godta at vi kan sette cookies"
    ("website_cookies", "consent", True, False, False, False),
    # 3 legal proceedings and transactions (legitimate interests); disclosure the law requires
    ("legal_claims_and_transactions", "legitimate_interests", False, True, False, False),
    ("authority_disclosure", "legal_obligation", False, False, False, False),
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
        assert set(purpose.legitimate_interest) == {"nb", "sv", "en"}
    if basis == "legal_obligation":
        assert purpose.legal_obligation is not None


# (purpose, subject kind it applies to): section 1.2's split by customer type
SPLIT_BY_CUSTOMER_TYPE: list[tuple[str, str | list[str]]] = [
    ("customer_support_private", "customer"),
    ("customer_support_business", "business_user"),
    ("customer_administration_private", "customer"),
    ("customer_administration_business", "business_user"),
    ("billing_private", "customer"),
    ("billing_business", "business_user"),
    ("marketing_existing_customers", ["customer", "business_user"]),
]


@pytest.mark.parametrize(
    ("purpose_id", "kind"), SPLIT_BY_CUSTOMER_TYPE, ids=[r[0] for r in SPLIT_BY_CUSTOMER_TYPE]
)
def test_private_and_business_customers_get_their_own_basis(
    policy: Policy, purpose_id: str, kind: str | list[str]
) -> None:
    assert policy.purpose(purpose_id).applies_if == {"subject_kind": kind}


def test_bookkeeping_names_the_bookkeeping_act_in_every_language(policy: Policy) -> None:
    obligation = policy.purpose("bookkeeping").legal_obligation
    assert obligation is not None
    assert all("bokføringsloven" in obligation[lang].lower() for lang in ("nb", "sv", "en"))
    assert "5 år" in obligation["nb"] and "5 years" in obligation["en"]


# --- Retention: what the engine decides for records with these facts -------------------------------

# (case, record kind, facts, {purpose: expires_at}); purposes absent from the mapping must not hold it.
RETENTION: list[tuple[str, str, dict[str, Any], dict[str, datetime | None]]] = [
    (
        "remember-me cookie: 30 days from the last visit",
        "saas_remember_me_tokens",
        {"created_at": at(2025, 6, 1), "last_used_at": at(2026, 1, 1)},
        {"service_security": at(2026, 1, 31)},
    ),
    (
        "login log: as long as necessary, at most 5 years",
        "saas_login_log",
        {"created_at": at(2020, 3, 1)},
        {"service_security": at(2025, 3, 1), "service_improvement": at(2025, 3, 1)},
    ),
    (
        "private account: deactivated at the end of the subscription, the rest kept at most 5 years",
        "saas_users",
        {"created_at": at(2019, 1, 1), "subject_kind": "customer", "subscription_ends_at": at(2024, 6, 1)},
        {
            "service_security": at(2024, 6, 1),
            "service_improvement": at(2029, 6, 1),
            "customer_support_private": at(2029, 6, 1),
            "customer_administration_private": at(2029, 6, 1),
            "marketing_consent": at(2029, 6, 1),
            "marketing_existing_customers": at(2024, 6, 1),
        },
    ),
    (
        "business account: the business purposes hold it, not the private ones",
        "saas_users",
        {
            "created_at": at(2019, 1, 1),
            "subject_kind": "business_user",
            "subscription_ends_at": at(2024, 6, 1),
        },
        {
            "service_security": at(2024, 6, 1),
            "service_improvement": at(2029, 6, 1),
            "customer_support_business": at(2029, 6, 1),
            "customer_administration_business": at(2029, 6, 1),
            "marketing_consent": at(2029, 6, 1),
            "marketing_existing_customers": at(2024, 6, 1),
        },
    ),
    (
        "running subscription: held until it ends",
        "saas_users",
        {"created_at": at(2019, 1, 1), "subject_kind": "customer", "subscription_ends_at": None},
        {
            "service_security": None,
            "service_improvement": None,
            "customer_support_private": None,
            "customer_administration_private": None,
            "marketing_consent": None,
            "marketing_existing_customers": None,
        },
    ),
    (
        "private invoice: contract, and 5 years after the financial year under the bookkeeping act",
        "saas_invoices",
        {
            "created_at": at(2021, 3, 10),
            "issued_at": at(2021, 3, 10),
            "fiscal_year_ends_at": datetime(2022, 1, 1, tzinfo=UTC),
            "subject_kind": "customer",
        },
        {"billing_private": at(2026, 3, 10), "bookkeeping": datetime(2027, 1, 1, tzinfo=UTC)},
    ),
    (
        "business invoice: legitimate interests, and the bookkeeping act",
        "saas_invoices",
        {
            "created_at": at(2021, 3, 10),
            "issued_at": at(2021, 3, 10),
            "fiscal_year_ends_at": datetime(2022, 1, 1, tzinfo=UTC),
            "subject_kind": "business_user",
        },
        {"billing_business": at(2026, 3, 10), "bookkeeping": datetime(2027, 1, 1, tzinfo=UTC)},
    ),
    (
        "support chat with a private customer",
        "conversation",
        {"created_at": at(2024, 12, 1), "closed_at": at(2025, 1, 2), "subject_kind": "customer"},
        {"customer_support_private": at(2030, 1, 2)},
    ),
    (
        "support chat with a business customer's user",
        "conversation",
        {"created_at": at(2024, 12, 1), "closed_at": at(2025, 1, 2), "subject_kind": "business_user"},
        {"customer_support_business": at(2030, 1, 2)},
    ),
    (
        "contact details given while waiting for support",
        "handoff_contact",
        {"created_at": at(2024, 12, 1), "closed_at": at(2025, 1, 2), "subject_kind": "customer"},
        {"customer_support_private": at(2030, 1, 2)},
    ),
    (
        "a chat whose person is unknown: no customer purpose claims it",
        "conversation",
        {"created_at": at(2024, 12, 1), "closed_at": at(2025, 1, 2)},
        {},
    ),
    (
        "customer record: 5 years after the customer relationship ended",
        "subject",
        {
            "created_at": at(2018, 1, 1),
            "kind": "customer",
            "subject_kind": "customer",
            "contract_ended_at": at(2023, 2, 1),
            "last_seen_at": at(2023, 1, 15),
        },
        {"customer_administration_private": at(2028, 2, 1), "marketing_consent": at(2028, 1, 15)},
    ),
    (
        "marketing and cookie consents: at most 5 years after last use",
        "consent_record",
        {"created_at": at(2020, 1, 1), "last_used_at": at(2022, 4, 1), "state": "granted"},
        {"marketing_consent": at(2027, 4, 1), "website_cookies": at(2027, 4, 1)},
    ),
    (
        "voluntary survey answer",
        "saas_survey_responses",
        {"created_at": at(2023, 5, 5), "survey_tool": "easyquest"},
        {"customer_surveys": at(2028, 5, 5)},
    ),
    (
        "feedback after a chat",
        "feedback",
        {"created_at": at(2023, 5, 5), "closed_at": at(2023, 5, 5)},
        {"customer_surveys": at(2028, 5, 5)},
    ),
    (
        "decision-maker found on social media",
        "saas_prospects",
        {"created_at": at(2022, 1, 1), "last_interaction_at": at(2023, 8, 1)},
        {"prospecting_social_media": at(2028, 8, 1)},
    ),
    # 1.3 and 6: "så lenge det er nødvendig for å oppfylle formålene ... inntil 5 år": each marketing
    # purpose keeps the log of what it sent at most 5 years (the dispatcher gives an entry its campaign's
    # purpose's hold only; the other purpose's rule is shown here because the engine would apply it)
    (
        "marketing send log of an existing customer: at most 5 years after sending",
        "marketing_send",
        {
            "created_at": at(2024, 3, 1),
            "sent_at": at(2024, 3, 1),
            "channel": "email",
            "campaign_kind": "marketing",
            "subject_kind": "customer",
        },
        {"marketing_consent": at(2029, 3, 1), "marketing_existing_customers": at(2029, 3, 1)},
    ),
    (
        "marketing send log of a prospect: only the consent purpose can have sent it",
        "marketing_send",
        {
            "created_at": at(2024, 3, 1),
            "sent_at": at(2024, 3, 1),
            "channel": "email",
            "campaign_kind": "marketing",
            "subject_kind": "prospect",
        },
        {"marketing_consent": at(2029, 3, 1)},
    ),
    (
        "job application: kept while the recruitment runs",
        "saas_job_applications",
        {"created_at": at(2025, 3, 1), "process_closed_at": at(2025, 5, 1)},
        {"recruitment": at(2025, 5, 1)},
    ),
    (
        "job application of a process still running",
        "saas_job_applications",
        {"created_at": at(2025, 3, 1), "process_closed_at": None},
        {"recruitment": None},
    ),
]


@pytest.mark.parametrize(("case", "kind", "facts", "expected"), RETENTION, ids=[row[0] for row in RETENTION])
def test_retention(
    policy: Policy, case: str, kind: str, facts: dict[str, Any], expected: dict[str, datetime | None]
) -> None:
    decisions = decide_holds(policy, kind, facts)
    assert {purpose: d.expires_at for purpose, d in decisions.items()} == expected, case


def test_nothing_is_kept_longer_than_five_years(policy: Policy) -> None:
    """Section 6: "Dette kan innebære en lagringstid på inntil 5 år" is the upper bound for every rule."""
    start = datetime(2024, 2, 29, tzinfo=UTC)
    limit = start + parse_duration("P5Y")
    for purpose in policy.purposes:
        for rule in purpose.retention:
            assert start + parse_duration(rule.keep) <= limit, (purpose.id, rule.keep)


def test_each_marketing_purpose_keeps_the_log_of_what_it_sent(policy: Policy) -> None:
    """Every direct-marketing purpose holds its own campaigns' send-log entries, and only its own: the
    notice names no documentation duty for marketing, so no legal obligation keeps them."""
    marketing = [p.id for p in policy.purposes if p.direct_marketing]
    assert marketing == ["marketing_consent", "marketing_existing_customers"]
    assert [p.id for p in policy.purposes_holding("marketing_send")] == marketing
    for purpose_id in marketing:
        assert send_log_holders(policy, purpose_id) == [purpose_id]
        assert "user.behavior.marketing_history" in policy.purpose(purpose_id).data_categories


def test_after_erasure_only_the_bookkeeping_act_keeps_anything(policy: Policy) -> None:
    """Section 6: no deletion where the law obliges us to keep; that is the bookkeeping act on invoices."""
    keeping = {p.id for p in policy.purposes if p.legal_basis == "legal_obligation" and p.retention}
    assert keeping == {"bookkeeping"}
    assert [d.id for d in policy.datasets if "bookkeeping" in d.purposes] == ["saas_invoices"]


# --- Recipients (section 3) -------------------------------------------------------------------------

# (id, name, role, country, transfer safeguard)
RECIPIENTS: list[tuple[str, str, str, str, str | None]] = [
    ("poweroffice", "PowerOffice", "processor", "NO", None),
    ("salesforce", "Salesforce", "processor", "US", "scc"),
    ("google_analytics", "Google Analytics", "processor", "US", "scc"),
    ("google_ads", "Google Ads (Adwords)", "processor", "US", "scc"),
    ("bing_ads", "Microsoft Bing Ads", "processor", "US", "scc"),
    ("intercom", "Intercom", "processor", "US", "scc"),
    ("linkedin", "LinkedIn", "processor", "IE", None),
    ("survicate", "Survicate", "processor", "PL", None),
    ("easyquest", "EasyQuest", "processor", "SE", None),
    ("google_docs", "Google Docs", "processor", "US", "scc"),
    ("microsoft_365", "Microsoft Office 365", "processor", "US", "scc"),
    (
        "legal_and_transaction_parties",
        "Parter i rettslige prosesser og kommersielle transaksjoner",
        "third_party",
        "NO",
        None,
    ),
    ("public_authorities", "Offentlige myndigheter", "authority", "NO", None),
]


def test_the_recipients_are_exactly_the_documents(policy: Policy) -> None:
    assert [r.id for r in policy.recipients] == [row[0] for row in RECIPIENTS]


@pytest.mark.parametrize(
    ("recipient_id", "name", "role", "country", "safeguard"), RECIPIENTS, ids=[r[0] for r in RECIPIENTS]
)
def test_recipient(
    policy: Policy, recipient_id: str, name: str, role: str, country: str, safeguard: str | None
) -> None:
    recipient = policy.recipient(recipient_id)
    assert recipient is not None
    assert (recipient.name, recipient.role, recipient.country, recipient.transfer_safeguard) == (
        name,
        role,
        country,
        safeguard,
    )
    assert set(recipient.service) == {"nb", "sv", "en"}


def test_every_transfer_outside_the_eea_has_standard_contractual_clauses(policy: Policy) -> None:
    """ "Der personopplysninger overføres utenfor EU/EØS har vi signert EU standardavtaler"."""
    outside = [r for r in policy.recipients if r.country not in EEA_COUNTRIES]
    assert outside, "the document names providers outside the EU/EEA"
    assert all(r.transfer_safeguard == "scc" for r in outside)


def test_intercom_says_its_standard_contractual_clauses_are_signed(policy: Policy) -> None:
    intercom = policy.recipient("intercom")
    assert intercom is not None
    assert "EU-standardavtale signert" in intercom.service["nb"]
    assert "standard contractual clauses" in intercom.service["en"]


# (purpose, recipients it must list): who receives what, as the document pairs them
PURPOSE_RECIPIENTS: list[tuple[str, set[str]]] = [
    ("billing_private", {"poweroffice"}),
    ("billing_business", {"poweroffice"}),
    ("bookkeeping", {"poweroffice"}),
    ("customer_support_private", {"intercom", "salesforce"}),
    ("customer_administration_business", {"salesforce"}),
    ("service_improvement", {"google_analytics", "intercom"}),
    ("customer_surveys", {"survicate", "easyquest"}),
    ("prospecting_social_media", {"linkedin", "salesforce"}),
    ("website_cookies", {"google_analytics", "intercom", "google_ads"}),  # the three cookies of section 2
    ("marketing_consent", {"google_ads", "bing_ads", "intercom"}),
    ("recruitment", {"google_docs", "microsoft_365"}),
    ("legal_claims_and_transactions", {"legal_and_transaction_parties"}),
    ("authority_disclosure", {"public_authorities"}),
]


@pytest.mark.parametrize(
    ("purpose_id", "recipients"), PURPOSE_RECIPIENTS, ids=[r[0] for r in PURPOSE_RECIPIENTS]
)
def test_purpose_recipients(policy: Policy, purpose_id: str, recipients: set[str]) -> None:
    assert recipients <= set(policy.purpose(purpose_id).recipients)


def test_cookies_name_exactly_the_three_cookies(policy: Policy) -> None:
    assert set(policy.purpose("website_cookies").recipients) == {"google_analytics", "intercom", "google_ads"}


# --- Subjects, sources, categories ------------------------------------------------------------------

# (purpose, data subjects)
SUBJECTS: list[tuple[str, list[str]]] = [
    ("prospecting_social_media", ["business_decision_maker"]),
    ("recruitment", ["job_applicant"]),
    ("website_cookies", ["visitor"]),
    ("marketing_consent", ["prospect", "customer", "business_user"]),
    ("marketing_existing_customers", ["customer", "business_user"]),
    ("customer_support_private", ["customer"]),
    ("customer_support_business", ["business_user"]),
]


@pytest.mark.parametrize(("purpose_id", "subjects"), SUBJECTS, ids=[r[0] for r in SUBJECTS])
def test_data_subjects(policy: Policy, purpose_id: str, subjects: list[str]) -> None:
    assert policy.purpose(purpose_id).data_subjects == subjects


# (purpose, sources): what the document says data comes from
SOURCES: list[tuple[str, list[str]]] = [
    ("prospecting_social_media", ["social_media"]),
    ("website_cookies", ["automatic"]),
    ("service_security", ["from_you", "automatic"]),
    ("recruitment", ["from_you"]),
]


@pytest.mark.parametrize(("purpose_id", "sources"), SOURCES, ids=[r[0] for r in SOURCES])
def test_sources(policy: Policy, purpose_id: str, sources: list[str]) -> None:
    assert policy.purpose(purpose_id).sources == sources


def test_source_kinds(policy: Policy) -> None:
    assert {s.id: s.kind for s in policy.sources} == {
        "from_you": "subject",
        "automatic": "automatic",
        "social_media": "third_party",
    }


# (purpose, categories it must list): the data the document names for it
CATEGORIES: list[tuple[str, set[str]]] = [
    (
        "service_security",
        {"user.behavior.login_history", "user.authorization.credentials", "user.account.access_rights"},
    ),
    ("website_cookies", {"user.device.browser", "user.device.ip_address", "user.behavior.browsing_history"}),
    ("customer_surveys", {"user.content.feedback"}),
    (
        "prospecting_social_media",
        {"user.job_title", "user.social.profile", "user.behavior.interaction_history"},
    ),
    ("recruitment", {"user.job_application"}),
    ("billing_private", {"user.payment.invoice"}),
    ("marketing_consent", {"user.behavior.service_interest"}),
    ("customer_support_private", {"user.content.communication"}),
]


@pytest.mark.parametrize(("purpose_id", "categories"), CATEGORIES, ids=[r[0] for r in CATEGORIES])
def test_data_categories(policy: Policy, purpose_id: str, categories: set[str]) -> None:
    assert categories <= set(policy.purpose(purpose_id).data_categories)


# --- The organisation, rights and the change log ----------------------------------------------------


def test_organisation(policy: Policy) -> None:
    org = policy.organisation
    assert org.name == "Kunnskapsverket AS"
    assert orgnr.is_valid(org.org_number)  # fictional, but shaped like a real one
    assert (org.country, org.languages, org.default_language) == ("NO", ["nb", "sv", "en"], "nb")
    assert org.supervisory_authority is not None
    assert all("Datatilsynet" in org.supervisory_authority[lang] for lang in ("nb", "sv", "en"))


def test_consent_can_always_be_withdrawn_and_legitimate_interests_objected_to(policy: Policy) -> None:
    """Section 5: withdraw consent at any time; object to processing."""
    for purpose in policy.purposes:
        if purpose.legal_basis == "consent":
            assert purpose.withdrawal, purpose.id
        if purpose.legal_basis == "legitimate_interests":
            assert purpose.objection, purpose.id


CHANGELOG: list[tuple[date, str, str]] = [
    (date(2021, 9, 27), "Lagt til EasyQuest som ny underleverandør", "Added EasyQuest"),
    (date(2020, 10, 22), "Redaksjonelle endringer (nummerering og overskrifter)", "Editorial changes"),
    (date(2020, 10, 22), "Presiseringer av behandlingsformål", "Clarified the purposes"),
    (date(2020, 8, 31), "Fjernet EU-U.S. Privacy Shield", "standard contractual clauses with Intercom"),
    (date(2020, 5, 1), "Bomkalkulatoren (ny)", "Added Bomkalkulatoren"),
    (date(2018, 5, 15), "Endringer som følge av GDPR", "Changes following the GDPR"),
]


def test_change_log(policy: Policy) -> None:
    entries = policy.changelog
    assert [entry.date for entry in entries] == [row[0] for row in CHANGELOG]
    for entry, (_, nb, en) in zip(entries, CHANGELOG, strict=True):
        assert nb in entry.text["nb"]
        assert en in entry.text["en"]
        assert entry.text["sv"].strip()
    assert policy.effective_from == CHANGELOG[0][0]


def test_the_pack_loads_without_warnings(loaded: LoadedPolicy) -> None:
    assert loaded.warnings == []
