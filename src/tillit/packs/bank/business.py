"""Nordbank ASA's own tables (fictional): customers, accounts, cards, transactions and the marketing data.

These are the bank's tables, not tillit's. `policy.yaml` declares each one as a dataset (identity columns,
data categories per column, the purposes that use it, the anchor columns retention reads), which is how
tillit finds, exports, erases and sweeps the personal data in them.

Every column says in `info["personal"]` whether it holds personal data, so a test can insist that each
personal column is mapped to a data category in the policy: a new column cannot slip past the notice.

`generate(now)` makes ~30 fictional customers whose identifiers pass their checksums (fødselsnummer and
account numbers mod 11, customer numbers Luhn, phone numbers valid for `phonenumbers`), with timestamps
spread over the years before `now`, so that some rows are already past their retention period.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Date, Float, ForeignKey, Integer, MetaData, Numeric, String, Table
from stdnum.no import fodselsnummer, kontonr

from tillit.db.base import NAMING_CONVENTION, UtcDateTime
from tillit.packs.base import BusinessData, DemoSubject, id_column, personal, plain
from tillit.packs.fiction import (
    between,
    days_ago,
    draw_unique,
    example_email,
    norwegian_mobile_candidate,
    valid_mobile,
    whole_seconds_utc,
    with_luhn,
)


def _customer_ref() -> Column[str]:
    """The customer number every table but the register itself carries, pointing at the register."""
    return Column(
        "customer_number",
        String(16),
        ForeignKey("bank_customers.customer_number"),
        nullable=False,
        index=True,
        info=personal(),
    )


metadata = MetaData(naming_convention=NAMING_CONVENTION)

customers = Table(
    "bank_customers",
    metadata,
    id_column(),
    Column("customer_number", String(16), nullable=False, unique=True, info=personal()),
    Column("national_id", String(11), nullable=False, unique=True, info=personal()),
    Column("first_name", String(80), nullable=False, info=personal()),
    Column("last_name", String(80), nullable=False, info=personal()),
    Column("birth_date", Date, nullable=False, info=personal()),
    Column("gender", String(1), nullable=False, info=personal()),
    Column("email", String(254), nullable=False, info=personal()),
    Column("phone", String(16), nullable=False, info=personal()),
    Column("street", String(120), nullable=False, info=personal()),
    Column("postal_code", String(4), nullable=False, info=personal()),
    Column("city", String(80), nullable=False, info=personal()),
    Column("language", String(2), nullable=False, info=personal()),
    Column("customer_programme", String(40), nullable=False, info=personal()),
    Column("employer_name", String(120), nullable=True, info=personal()),
    Column("employer_sector", String(80), nullable=True, info=personal()),
    Column("customer_since", UtcDateTime(), nullable=False, info=personal()),
    # When the customer relationship ended; null while it lasts.
    Column("closed_at", UtcDateTime(), nullable=True, info=personal()),
)

accounts = Table(
    "bank_accounts",
    metadata,
    id_column(),
    _customer_ref(),
    Column("account_number", String(11), nullable=False, unique=True, info=personal()),
    Column("product", String(40), nullable=False, info=personal()),
    Column("balance", Numeric(14, 2), nullable=False, info=personal()),
    Column("currency", String(3), nullable=False, info=plain()),
    Column("opened_at", UtcDateTime(), nullable=False, info=personal()),
    Column("closed_at", UtcDateTime(), nullable=True, info=personal()),
)

cards = Table(
    "bank_cards",
    metadata,
    id_column(),
    _customer_ref(),
    Column("account_id", Integer, ForeignKey("bank_accounts.id"), nullable=False, info=plain()),
    # Never a full card number: the bank's card processor holds it; this table keeps the masked form only.
    Column("masked_pan", String(19), nullable=False, info=personal()),
    Column("last_four", String(4), nullable=False, info=personal()),
    Column("brand", String(20), nullable=False, info=personal()),
    Column("expiry", String(7), nullable=False, info=personal()),
    Column("status", String(12), nullable=False, info=personal()),
    Column("issued_at", UtcDateTime(), nullable=False, info=personal()),
    Column("closed_at", UtcDateTime(), nullable=True, info=personal()),
)

transactions = Table(
    "bank_transactions",
    metadata,
    id_column(),
    _customer_ref(),
    Column("account_id", Integer, ForeignKey("bank_accounts.id"), nullable=False, info=plain()),
    # When the transaction was booked: the row's creation, and the anchor of its retention.
    Column("created_at", UtcDateTime(), nullable=False, index=True, info=personal()),
    Column("amount", Numeric(14, 2), nullable=False, info=personal()),
    Column("currency", String(3), nullable=False, info=plain()),
    Column("kind", String(20), nullable=False, info=personal()),
    Column("counterparty", String(120), nullable=False, info=personal()),
    Column("category", String(40), nullable=False, info=personal()),
    Column("card_last_four", String(4), nullable=True, info=personal()),
)

digital_events = Table(
    "bank_digital_events",
    metadata,
    id_column(),
    _customer_ref(),
    # When the visit, click or view happened.
    Column("created_at", UtcDateTime(), nullable=False, index=True, info=personal()),
    Column("channel", String(20), nullable=False, info=personal()),
    Column("event_type", String(20), nullable=False, info=personal()),
    Column("page", String(120), nullable=False, info=personal()),
    Column("banner_code", String(40), nullable=True, info=personal()),
)

marketing_profile = Table(
    "bank_marketing_profile",
    metadata,
    id_column(),
    _customer_ref(),
    # When the profile was computed.
    Column("created_at", UtcDateTime(), nullable=False, index=True, info=personal()),
    Column("age_band", String(8), nullable=False, info=personal()),
    Column("gender", String(1), nullable=False, info=personal()),
    Column("region", String(40), nullable=False, info=personal()),
    Column("life_phase", String(40), nullable=False, info=personal()),
    Column("employer_sector", String(80), nullable=True, info=personal()),
    Column("products_held", String(200), nullable=False, info=personal()),
    Column("balance_band", String(20), nullable=False, info=personal()),
    Column("spending_profile", String(200), nullable=False, info=personal()),
    Column("digital_activity", String(10), nullable=False, info=personal()),
    Column("contact_topics", String(200), nullable=False, info=personal()),
    Column("propensity_mortgage", Float, nullable=False, info=personal()),
    Column("propensity_savings", Float, nullable=False, info=personal()),
    Column("propensity_insurance", Float, nullable=False, info=personal()),
)

marketing_send_log = Table(
    "bank_marketing_send_log",
    metadata,
    id_column(),
    _customer_ref(),
    Column("sent_at", UtcDateTime(), nullable=False, index=True, info=personal()),
    Column("purpose", String(64), nullable=False, info=personal()),
    Column("campaign_code", String(40), nullable=False, info=personal()),
    Column("channel", String(20), nullable=False, info=personal()),
    Column("message_summary", String(200), nullable=False, info=personal()),
    Column("response", String(20), nullable=False, info=personal()),
    Column("responded_at", UtcDateTime(), nullable=True, info=personal()),
)


@dataclass(frozen=True)
class _Person:
    first: str
    last: str
    gender: str  # "F" or "M", as the fødselsnummer's ninth digit says (even: F, odd: M)
    language: str


# Fictional people; any likeness to a real person is a coincidence of common names.
_PEOPLE: tuple[_Person, ...] = (
    _Person("Ingrid", "Haugland", "F", "nb"),
    _Person("Ola", "Bakken", "M", "nb"),
    _Person("Kari", "Solberg", "F", "nb"),
    _Person("Sindre", "Fjeldstad", "M", "nb"),
    _Person("Åse", "Lindvik", "F", "nb"),
    _Person("Bjørn", "Østby", "M", "nb"),
    _Person("Marte", "Aasen", "F", "nb"),
    _Person("Eirik", "Strandli", "M", "nb"),
    _Person("Sigrid", "Moen", "F", "nb"),
    _Person("Håkon", "Berget", "M", "nb"),
    _Person("Tuva", "Lien", "F", "nb"),
    _Person("Magnus", "Dahle", "M", "nb"),
    _Person("Live", "Eriksrud", "F", "nb"),
    _Person("Jonas", "Nygård", "M", "nb"),
    _Person("Solveig", "Hagelund", "F", "nb"),
    _Person("Even", "Brekke", "M", "nb"),
    _Person("Ragnhild", "Sæther", "F", "nb"),
    _Person("Torstein", "Myhre", "M", "nb"),
    _Person("Ane", "Holmvik", "F", "nb"),
    _Person("Amira", "Haddad", "F", "en"),
    _Person("Lukas", "Schneider", "M", "en"),
    _Person("Sofia", "Rossi", "F", "nb"),
    _Person("Mateusz", "Kowalski", "M", "en"),
    _Person("Aisha", "Okafor", "F", "en"),
    _Person("Wei", "Chen", "M", "en"),
    _Person("Priya", "Raman", "F", "en"),
    _Person("Daniel", "García", "M", "nb"),
    _Person("Fatima", "Yusuf", "F", "en"),
    _Person("Oliver", "Bennett", "M", "en"),
    _Person("Elif", "Demir", "F", "nb"),
)

_PLACES: tuple[tuple[str, str, str], ...] = (
    ("0150", "Oslo", "Oslo"),
    ("0560", "Oslo", "Oslo"),
    ("5003", "Bergen", "Vestland"),
    ("7010", "Trondheim", "Trøndelag"),
    ("4006", "Stavanger", "Rogaland"),
    ("9008", "Tromsø", "Troms"),
    ("3015", "Drammen", "Buskerud"),
    ("4612", "Kristiansand", "Agder"),
)
_STREETS = ("Storgata", "Kirkeveien", "Fjordgata", "Bjørkelia", "Solbakken", "Havnegata", "Lindealléen")
_PROGRAMMES = ("Basis", "Basis", "Premium", "Private Banking")  # "Ung" is for those under 34
_EMPLOYERS: tuple[tuple[str | None, str | None], ...] = (
    ("Bergheim Bygg AS", "Bygg og anlegg"),
    ("Sjøbris Havbruk AS", "Havbruk"),
    ("Lysgard skole", "Undervisning"),
    ("Nordvik sykehus", "Helse"),
    ("Tindra Teknologi AS", "IT"),
    ("Fjellro Hotell AS", "Reiseliv"),
    (None, None),
)
_MERCHANTS: tuple[tuple[str, str], ...] = (
    ("Nordbutikken", "groceries"),
    ("Fjellbakeriet", "groceries"),
    ("Reisefabrikken", "travel"),
    ("Strømselskapet Nord", "utilities"),
    ("Boligutleie Nord", "housing"),
    ("Apoteket Lindegården", "health"),
    ("Sportshuset Vest", "leisure"),
)
_PAGES = ("/lan/boliglan", "/sparing/fond", "/forsikring/reise", "/kort/kredittkort", "/betaling/efaktura")
_BANNERS = ("BOLIG-2024", "FOND-START", "REISE-SOMMER", "KORT-CASHBACK")
_CAMPAIGNS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("personalised_marketing", "PM-BOLIG", ("app", "web", "online_bank"), "Tilbud på boliglån tilpasset deg"),
    ("personalised_marketing", "PM-FOND", ("app", "online_bank"), "Kom i gang med fondssparing"),
    ("simple_marketing", "SM-TIPS", ("email", "sms", "online_bank"), "Tips om kortet og kontoen du har"),
    ("simple_marketing", "SM-NYHET", ("letter", "email", "phone"), "Nyheter i nettbanken"),
    ("email_sms_marketing", "ES-FORSIKRING", ("email", "sms"), "Reiseforsikring til sommeren"),
)
_RESPONSES = ("none", "none", "opened", "clicked", "converted", "opted_out")
_BANK_CODE = "9710"  # fictional bank identifier for the demo's account numbers


def generate(now: datetime, seed: int = 7) -> BusinessData:
    """Fictional customers and their rows, the same for the same `now` and `seed`."""
    now = whole_seconds_utc(now)
    rng = random.Random(seed)
    # Identity numbers draw from their own stream: a fødselsnummer retries until its check digits exist,
    # and how often depends on the birth date (relative to `now`), which must not shift the other rows.
    identity_rng = random.Random(seed + 1)
    used: set[str] = set()
    rows: dict[str, list[dict[str, Any]]] = {table.name: [] for table in metadata.sorted_tables}
    subjects: list[DemoSubject] = []
    counters = {"account": 0, "card": 0, "transaction": 0, "event": 0, "profile": 0, "send": 0}

    def next_id(kind: str) -> int:
        counters[kind] += 1
        return counters[kind]

    def ago(min_days: int, max_days: int) -> datetime:
        return days_ago(rng, now, min_days, max_days)

    for index, person in enumerate(_PEOPLE):
        birth = now.date() - timedelta(days=rng.randint(19 * 365, 84 * 365))
        customer_number = _customer_number(index, identity_rng, used)
        national_id = _fodselsnummer(birth, person.gender, identity_rng, used)
        phone = _mobile_number(identity_rng, used)
        email = example_email(person.first, person.last, used)
        postal_code, city, region = rng.choice(_PLACES)
        employer, sector = rng.choice(_EMPLOYERS)
        # Every sixth customer has left: every other one long ago (past the 5-year period), the rest recently.
        ended_at = None
        if index % 6 == 5:
            ended_at = ago(2_000, 2_500) if index % 12 == 5 else ago(30, 900)
        end = ended_at or now
        since = end - timedelta(days=rng.randint(400, 12 * 365), seconds=rng.randint(0, 86_399))
        rows[customers.name].append(
            {
                "id": index + 1,
                "customer_number": customer_number,
                "national_id": national_id,
                "first_name": person.first,
                "last_name": person.last,
                "birth_date": birth,
                "gender": person.gender,
                "email": email,
                "phone": phone,
                "street": f"{rng.choice(_STREETS)} {rng.randint(1, 120)}",
                "postal_code": postal_code,
                "city": city,
                "language": person.language,
                "customer_programme": "Ung" if _age(birth, now) < 34 else rng.choice(_PROGRAMMES),
                "employer_name": employer,
                "employer_sector": sector,
                "customer_since": since,
                "closed_at": ended_at,
            }
        )
        subjects.append(
            DemoSubject(
                kind="customer",
                name=f"{person.first} {person.last}",
                language=person.language,
                identifiers={
                    "customer_number": customer_number,
                    "national_id": national_id,
                    "email": email,
                    "phone": phone,
                },
            )
        )

        products = ["Brukskonto", *rng.sample(["Sparekonto", "BSU", "Fondskonto"], k=rng.randint(0, 2))]
        if "BSU" in products and _age(birth, now) >= 34:
            products.remove("BSU")
        for product in products:
            account_id = next_id("account")
            opened_at = between(rng, since, end)
            closed_at = ended_at
            if closed_at is None and product == "Fondskonto":
                closed_at = ago(10, 900)  # a fund account given up while staying a customer
            if closed_at is not None and closed_at < opened_at:
                closed_at = between(rng, opened_at, end)
            rows[accounts.name].append(
                {
                    "id": account_id,
                    "customer_number": customer_number,
                    "account_number": _account_number(identity_rng, used),
                    "product": product,
                    "balance": _kroner(rng.randint(0, 45_000_000)) if closed_at is None else _kroner(0),
                    "currency": "NOK",
                    "opened_at": opened_at,
                    "closed_at": closed_at,
                }
            )
            last_four = None
            if product == "Brukskonto":
                last_four = f"{identity_rng.randint(0, 9999):04d}"
                issued_at = between(rng, opened_at, closed_at or now)
                expiry_year = issued_at.year + 4
                rows[cards.name].append(
                    {
                        "id": next_id("card"),
                        "customer_number": customer_number,
                        "account_id": account_id,
                        "masked_pan": f"**** **** **** {last_four}",
                        "last_four": last_four,
                        "brand": rng.choice(("Visa", "Mastercard")),
                        "expiry": f"{expiry_year:04d}-{rng.randint(1, 12):02d}",
                        "status": "closed" if closed_at else rng.choice(("active", "active", "blocked")),
                        "issued_at": issued_at,
                        "closed_at": closed_at,
                    }
                )
            if product in ("Brukskonto", "Sparekonto"):
                for _ in range(rng.randint(6, 16)):
                    rows[transactions.name].append(
                        _transaction(next_id("transaction"), customer_number, account_id, last_four, rng)
                        | {"created_at": between(rng, opened_at, closed_at or now)}
                    )

        for _ in range(rng.randint(3, 12)):
            channel = rng.choice(("online_bank", "app", "web"))
            event_type = rng.choice(("page_view", "page_view", "feature_use", "banner_view", "banner_click"))
            rows[digital_events.name].append(
                {
                    "id": next_id("event"),
                    "customer_number": customer_number,
                    "created_at": between(rng, max(since, now - timedelta(days=6 * 365)), end),
                    "channel": channel,
                    "event_type": event_type,
                    "page": rng.choice(_PAGES),
                    "banner_code": rng.choice(_BANNERS) if event_type.startswith("banner") else None,
                }
            )

        if index % 2 == 0:  # roughly the customers who consented to personalised marketing
            for _ in range(rng.randint(1, 2)):
                profile = _profile(customer_number, person, birth, region, sector, products, now, rng)
                profile["id"] = next_id("profile")
                profile["created_at"] = between(rng, max(since, now - timedelta(days=5 * 365)), end)
                rows[marketing_profile.name].append(profile)

        for _ in range(rng.randint(2, 8)):
            purpose, campaign, channels, summary = rng.choice(_CAMPAIGNS)
            sent_at = between(rng, max(since, now - timedelta(days=7 * 365)), end)
            response = rng.choice(_RESPONSES)
            rows[marketing_send_log.name].append(
                {
                    "id": next_id("send"),
                    "customer_number": customer_number,
                    "sent_at": sent_at,
                    "purpose": purpose,
                    "campaign_code": campaign,
                    "channel": rng.choice(channels),
                    "message_summary": summary,
                    "response": response,
                    "responded_at": None
                    if response == "none"
                    else min(sent_at + timedelta(hours=rng.randint(1, 96)), now),
                }
            )

    return BusinessData(subjects=subjects, rows=rows)


def _kroner(ore: int) -> Decimal:
    """An amount in øre as kroner with exactly two decimals, as the Numeric(14, 2) columns store it."""
    return (Decimal(ore) / 100).quantize(Decimal("0.01"))


def _age(birth: date, now: datetime) -> int:
    today = now.date()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _customer_number(index: int, rng: random.Random, used: set[str]) -> str:
    """Seven digits and a Luhn check digit: the bank's own numbering, checkable like a card number."""
    return draw_unique(used, lambda: with_luhn(f"{3_100_000 + index * 1_000 + rng.randint(0, 999):07d}"))


def _fodselsnummer(birth: date, gender: str, rng: random.Random, used: set[str]) -> str:
    """A fødselsnummer with correct check digits; the individual number encodes century and gender."""
    low, high = (500, 999) if birth.year >= 2000 else (0, 499)
    while True:
        individual = rng.randint(low, high)
        if (individual % 2 == 1) != (gender == "M"):
            individual = individual + 1 if individual < high else individual - 1
        stem = f"{birth:%d%m%y}{individual:03d}"
        first = fodselsnummer.calc_check_digit1(stem)
        if len(first) != 1:
            continue
        second = fodselsnummer.calc_check_digit2(stem + first)
        if len(second) != 1:
            continue
        number = stem + first + second
        if number not in used and fodselsnummer.is_valid(number):
            used.add(number)
            return number


def _account_number(rng: random.Random, used: set[str]) -> str:
    """An 11-digit Norwegian account number whose last digit is the mod-11 check digit."""
    weights = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    while True:
        stem = f"{_BANK_CODE}{rng.randint(10, 99)}{rng.randint(0, 9999):04d}"
        remainder = sum(w * int(d) for w, d in zip(weights, stem, strict=True)) % 11
        check = (11 - remainder) % 11
        if check == 10:
            continue
        number = f"{stem}{check}"
        if number not in used and kontonr.is_valid(number):
            used.add(number)
            return number


def _mobile_number(rng: random.Random, used: set[str]) -> str:
    """A Norwegian mobile number in E.164 that `phonenumbers` accepts as valid."""
    return draw_unique(used, lambda: valid_mobile(lambda: norwegian_mobile_candidate(rng)))


def _transaction(
    row_id: int, customer_number: str, account_id: int, last_four: str | None, rng: random.Random
) -> dict[str, Any]:
    kind = rng.choice(("card", "card", "card", "transfer", "direct_debit", "salary"))
    if kind == "salary":
        counterparty, category = "Lønn fra arbeidsgiver", "income"
        amount = _kroner(rng.randint(2_500_000, 6_500_000))
    else:
        counterparty, category = rng.choice(_MERCHANTS)
        amount = -_kroner(rng.randint(2_000, 1_500_000))
    return {
        "id": row_id,
        "customer_number": customer_number,
        "account_id": account_id,
        "amount": amount,
        "currency": "NOK",
        "kind": kind,
        "counterparty": counterparty,
        "category": category,
        "card_last_four": last_four if kind == "card" else None,
    }


def _profile(
    customer_number: str,
    person: _Person,
    birth: date,
    region: str,
    sector: str | None,
    products: list[str],
    now: datetime,
    rng: random.Random,
) -> dict[str, Any]:
    age = _age(birth, now)
    decade = age // 10 * 10
    life_phase = rng.choice(("barnefamilie", "voksen"))
    if age < 30 or age >= 67:
        life_phase = "etablering" if age < 30 else "senior"
    return {
        "customer_number": customer_number,
        "age_band": f"{decade}-{decade + 9}",
        "gender": person.gender,
        "region": region,
        "life_phase": life_phase,
        "employer_sector": sector,
        "products_held": ",".join(products),
        "balance_band": rng.choice(("0-10k", "10k-100k", "100k-1m", "1m+")),
        "spending_profile": ",".join(sorted(rng.sample(["groceries", "travel", "leisure", "housing"], k=2))),
        "digital_activity": rng.choice(("low", "medium", "high")),
        "contact_topics": rng.choice(("boliglån", "renter,efaktura", "forsikring", "kort")),
        "propensity_mortgage": round(rng.random(), 3),
        "propensity_savings": round(rng.random(), 3),
        "propensity_insurance": round(rng.random(), 3),
    }
