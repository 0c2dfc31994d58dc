"""Kunnskapsverket AS's own tables (fictional): user accounts, login log, remember-me logins, invoices,
survey answers, prospects found on social media and job applications.

These are the company's tables, not tillit's. `policy.yaml` declares each one as a dataset (identity
columns, a data category per personal column, the purposes that use it, the anchor columns retention
reads), which is how tillit finds, exports, erases and sweeps the personal data in them.

Every column says in `info["personal"]` whether it holds personal data, so a test can insist that each
personal column is mapped to a data category in the policy and that nothing else is: a new column cannot
slip past the notice. Columns that are only retention facts (`subject_kind`, `issued_at`, ...) are not
personal on their own.

There are no foreign keys between the tables on purpose: each table is held by different purposes for
different periods (an invoice outlives the account it was billed to, by the bookkeeping act), so rows
must be deletable independently.

`generate(now)` makes 25 fictional people whose identifiers are valid (customer numbers with a Luhn check
digit, phone numbers valid for `phonenumbers`, e-mail addresses at example.com) and rows whose timestamps
spread over the years before `now`, so that some are already past their retention period: subscriptions
that ended more than five years ago, remember-me logins unused for more than 30 days, invoices from
financial years that closed more than five years ago, finished recruitment processes.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Column, Integer, MetaData, Numeric, String, Table, Text

from tillit.db.base import NAMING_CONVENTION, UtcDateTime
from tillit.packs.base import BusinessData, DemoSubject, id_column, personal, plain
from tillit.packs.fiction import (
    ascii_fold,
    between,
    days_ago,
    draw_unique,
    example_email,
    norwegian_mobile_candidate,
    valid_mobile,
    whole_seconds_utc,
    with_luhn,
)

SERVICES: tuple[str, ...] = ("Fagportalen", "Kontoguiden", "Kostraguiden", "Flyt", "Bomkalkulatoren")
"""The Services the notice covers (fictional names for the document's products)."""

PRIVATE = "customer"
BUSINESS = "business_user"
DECISION_MAKER = "business_decision_maker"
APPLICANT = "job_applicant"
"""Subject kinds: the policy's data-subject keys, also stored as the `subject_kind` fact of a row."""


metadata = MetaData(naming_convention=NAMING_CONVENTION)

users = Table(
    "saas_users",
    metadata,
    id_column(),
    Column("customer_number", String(16), nullable=False, unique=True, info=personal()),
    Column("name", String(120), nullable=False, info=personal()),
    Column("email", String(254), nullable=False, unique=True, info=personal()),
    Column("phone", String(20), nullable=False, info=personal()),
    Column("company", String(120), nullable=True, info=personal()),
    # `customer` (private customer) or `business_user` (user or contact at a business customer): decides
    # the legal basis of customer administration, support and billing (section 1.2 of the notice).
    Column("subject_kind", String(32), nullable=False, info=plain()),
    Column("access_role", String(20), nullable=False, info=personal()),
    Column("services", String(200), nullable=False, info=personal()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
    # None: a running subscription without an end date; in the future: a fixed term; in the past: ended,
    # so the account is deactivated and the rest is kept at most five years after this moment.
    Column("subscription_ends_at", UtcDateTime(), nullable=True, info=plain()),
)

login_log = Table(
    "saas_login_log",
    metadata,
    id_column(),
    # None for an attempt with an e-mail address that belongs to no account.
    Column("customer_number", String(16), nullable=True, index=True, info=personal()),
    Column("email", String(254), nullable=False, info=personal()),
    Column("ip_address", String(45), nullable=False, info=personal()),
    Column("user_agent", String(200), nullable=False, info=personal()),
    Column("succeeded", Boolean, nullable=False, info=personal()),
    # The moment of the attempt: personal (when someone logged in) and the retention anchor.
    Column("created_at", UtcDateTime(), nullable=False, index=True, info=personal()),
)

remember_me_tokens = Table(
    "saas_remember_me_tokens",
    metadata,
    id_column(),
    Column("customer_number", String(16), nullable=False, index=True, info=personal()),
    Column("token_hash", String(64), nullable=False, unique=True, info=personal()),
    Column("user_agent", String(200), nullable=False, info=personal()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
    # The cookie lasts 30 days from the last visit: every visit moves this anchor.
    Column("last_used_at", UtcDateTime(), nullable=False, index=True, info=personal()),
)

invoices = Table(
    "saas_invoices",
    metadata,
    id_column(),
    Column("invoice_number", String(20), nullable=False, unique=True, info=personal()),
    Column("customer_number", String(16), nullable=False, index=True, info=personal()),
    Column("billed_name", String(200), nullable=False, info=personal()),
    Column("billing_email", String(254), nullable=False, info=personal()),
    Column("service", String(40), nullable=False, info=personal()),
    Column("amount_nok", Numeric(12, 2), nullable=False, info=personal()),
    Column("currency", String(3), nullable=False, info=plain()),
    Column("subject_kind", String(32), nullable=False, info=plain()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
    Column("issued_at", UtcDateTime(), nullable=False, info=plain()),
    Column("paid_at", UtcDateTime(), nullable=True, info=personal()),
    # The first moment after the financial (calendar) year of `issued_at`: the bookkeeping act counts its
    # five years from the end of the financial year, not from the invoice date.
    Column("fiscal_year_ends_at", UtcDateTime(), nullable=False, info=plain()),
)

survey_responses = Table(
    "saas_survey_responses",
    metadata,
    id_column(),
    Column("customer_number", String(16), nullable=False, index=True, info=personal()),
    Column("survey_tool", String(20), nullable=False, info=plain()),
    Column("score", Integer, nullable=False, info=personal()),
    Column("comment", Text, nullable=True, info=personal()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
)

prospects = Table(
    "saas_prospects",
    metadata,
    id_column(),
    Column("name", String(120), nullable=False, info=personal()),
    Column("email", String(254), nullable=False, info=personal()),
    Column("phone", String(20), nullable=True, info=personal()),
    Column("job_title", String(120), nullable=False, info=personal()),
    Column("company", String(120), nullable=False, info=personal()),
    Column("profile_url", String(200), nullable=False, info=personal()),
    Column("interested_in", String(200), nullable=False, info=personal()),
    Column("interactions", Text, nullable=False, info=personal()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
    Column("last_interaction_at", UtcDateTime(), nullable=False, info=plain()),
)

job_applications = Table(
    "saas_job_applications",
    metadata,
    id_column(),
    Column("name", String(120), nullable=False, info=personal()),
    Column("email", String(254), nullable=False, info=personal()),
    Column("phone", String(20), nullable=False, info=personal()),
    Column("position", String(120), nullable=False, info=personal()),
    Column("cv_summary", Text, nullable=False, info=personal()),
    Column("outcome", String(20), nullable=True, info=personal()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
    # None while the process runs; the application is kept only as long as the recruitment needs it.
    Column("process_closed_at", UtcDateTime(), nullable=True, info=plain()),
)


@dataclass(frozen=True)
class _Person:
    first: str
    last: str
    language: str  # nb, sv or en; Swedish speakers get Swedish mobile numbers


# Fictional people; any likeness to a real person is a coincidence of common names.
_PRIVATE_CUSTOMERS: tuple[_Person, ...] = (
    _Person("Guro", "Vatnedal", "nb"),
    _Person("Petter", "Ellingsen", "nb"),
    _Person("Randi", "Skoglund", "nb"),
    _Person("Øystein", "Harstad", "nb"),
    _Person("Hanne", "Kvamme", "nb"),
    _Person("Vegard", "Tønnessen", "nb"),
    _Person("Linnea", "Bergqvist", "sv"),
    _Person("Oskar", "Lindholm", "sv"),
    _Person("Nadia", "Rahimi", "en"),
    _Person("Thomas", "Åkerlund", "nb"),
)

# (company, its people); the first person of each company is its administrator and billing contact.
_BUSINESS_CUSTOMERS: tuple[tuple[str, tuple[_Person, ...]], ...] = (
    (
        "Bergtun Regnskap AS",
        (_Person("Siri", "Bergtun", "nb"), _Person("Kjetil", "Aune", "nb"), _Person("Mari", "Flaten", "nb")),
    ),
    (
        "Solvik kommune",
        (_Person("Arne", "Dyrnes", "nb"), _Person("Ida", "Rønning", "nb"), _Person("Samir", "Aziz", "en")),
    ),
    (
        "Strandvik Revision AB",
        (
            _Person("Karin", "Sjöberg", "sv"),
            _Person("Johan", "Ekdahl", "sv"),
            _Person("Elsa", "Nordström", "sv"),
        ),
    ),
)

# (person, title, company, services shown interest in)
_DECISION_MAKERS: tuple[tuple[_Person, str, str, str], ...] = (
    (_Person("Trond", "Lystad", "nb"), "Økonomisjef", "Lystad Transport AS", "Bomkalkulatoren, Flyt"),
    (_Person("Maja", "Hellström", "sv"), "Ekonomichef", "Hellström Bygg AB", "Kontoguiden"),
    (_Person("Espen", "Reinholt", "nb"), "Rådmann", "Reinholt kommune", "Kostraguiden, Fagportalen"),
)

# (person, position)
_APPLICANTS: tuple[tuple[_Person, str], ...] = (
    (_Person("Julie", "Brattli", "nb"), "Fagkonsulent regnskap"),
    (_Person("Ahmed", "Karimi", "en"), "Utvikler"),
    (_Person("Frida", "Wallin", "sv"), "Kundestøtte"),
)

_USER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
)
_PRICES: dict[str, Decimal] = {
    "Fagportalen": Decimal("4990.00"),
    "Kontoguiden": Decimal("1490.00"),
    "Kostraguiden": Decimal("12900.00"),
    "Flyt": Decimal("7990.00"),
    "Bomkalkulatoren": Decimal("490.00"),
}
_SURVEY_COMMENTS: tuple[str | None, ...] = (
    "Veldig nyttig, men søket kunne vært raskere.",
    "Bra innhold i Fagportalen.",
    None,
    "Savner flere eksempler i Kontoguiden.",
    "Snabb och trevlig support.",
)
_INTERACTIONS: tuple[str, ...] = (
    "Lastet ned e-bok om bompenger; møtte oss på messe.",
    "Deltok på webinar om kontoplan.",
    "Svarte på henvendelse via LinkedIn; ønsket demo.",
)
_CV_SUMMARIES: tuple[str, ...] = (
    "Bachelor i økonomi og administrasjon; fire år som regnskapsfører.",
    "MSc in computer science; five years of Python and PostgreSQL.",
    "Tre år i kundtjänst på ett mjukvaruföretag.",
)
_IP_PREFIXES: tuple[str, ...] = ("192.0.2.", "198.51.100.", "203.0.113.")  # documentation ranges (RFC 5737)
_YEAR = 365  # days; "about a year" is enough for spreading demo timestamps


def generate(now: datetime, seed: int = 7) -> BusinessData:
    """Fictional people and their rows, the same for the same `now` and `seed`."""
    now = whole_seconds_utc(now)
    rng = random.Random(seed)
    gen = _Generator(now, rng)
    for index, person in enumerate(_PRIVATE_CUSTOMERS):
        gen.account(person, index, company=None, kind=PRIVATE, admin=True)
    position = len(_PRIVATE_CUSTOMERS)
    for company, people in _BUSINESS_CUSTOMERS:
        for offset, person in enumerate(people):
            gen.account(person, position, company=company, kind=BUSINESS, admin=offset == 0)
            position += 1
    gen.failed_logins_of_strangers()
    for index, (person, title, company, interest) in enumerate(_DECISION_MAKERS):
        gen.prospect(person, index, title, company, interest)
    for index, (person, job) in enumerate(_APPLICANTS):
        gen.application(person, index, job)
    return BusinessData(subjects=gen.subjects, rows=gen.rows)


class _Generator:
    """Builds rows table by table; one instance per `generate` call, so ids and uniqueness are local."""

    def __init__(self, now: datetime, rng: random.Random) -> None:
        self.now = now
        self.rng = rng
        self.rows: dict[str, list[dict[str, Any]]] = {table.name: [] for table in metadata.sorted_tables}
        self.subjects: list[DemoSubject] = []
        self.used: set[str] = set()

    def _next_id(self, table: Table) -> int:
        return len(self.rows[table.name]) + 1

    def _ago(self, min_days: int, max_days: int) -> datetime:
        return days_ago(self.rng, self.now, min_days, max_days)

    def _between(self, start: datetime, end: datetime) -> datetime:
        return between(self.rng, start, end)

    def _email(self, person: _Person) -> str:
        """first.last@example.com, with a number added if two people share a name."""
        return example_email(person.first, person.last, self.used)

    def _phone(self, language: str) -> str:
        return draw_unique(self.used, lambda: _mobile_number(self.rng, "SE" if language == "sv" else "NO"))

    def _customer_number(self) -> str:
        return draw_unique(self.used, lambda: with_luhn(str(self.rng.randint(100_000, 999_999))))

    def _subscription(self, index: int) -> tuple[datetime, datetime | None]:
        """(created_at, subscription_ends_at): a mix of running, fixed-term, recently and long ended."""
        pattern = index % 6
        if pattern == 0:  # ended more than five years ago: only the bookkeeping act keeps anything
            ends: datetime | None = self._ago(5 * _YEAR + 30, 7 * _YEAR)
        elif pattern == 3:  # ended within the last four years
            ends = self._ago(20, 4 * _YEAR)
        elif pattern == 4:  # fixed term that ends in the coming months
            ends = self.now + timedelta(days=self.rng.randint(10, 300))
        else:  # running, no end date
            ends = None
        latest = min(ends, self.now) if ends is not None else self.now
        created = latest - timedelta(
            days=self.rng.randint(120, 6 * _YEAR), seconds=self.rng.randint(0, 86_399)
        )
        return created, ends

    def account(self, person: _Person, index: int, *, company: str | None, kind: str, admin: bool) -> None:
        customer_number = self._customer_number()
        email = self._email(person)
        phone = self._phone(person.language)
        created, ends = self._subscription(index)
        services = sorted(self.rng.sample(SERVICES, k=self.rng.randint(1, 3)))
        self.rows[users.name].append(
            {
                "id": self._next_id(users),
                "customer_number": customer_number,
                "name": f"{person.first} {person.last}",
                "email": email,
                "phone": phone,
                "company": company,
                "subject_kind": kind,
                "access_role": "admin" if admin else "user",
                "services": ", ".join(services),
                "created_at": created,
                "subscription_ends_at": ends,
            }
        )
        self.subjects.append(
            DemoSubject(
                kind=kind,
                name=f"{person.first} {person.last}",
                language=person.language,
                identifiers={"customer_number": customer_number, "email": email, "phone": phone},
            )
        )
        active_until = min(ends, self.now) if ends is not None else self.now
        self._logins(customer_number, email, created, active_until)
        if ends is None or ends > self.now:
            self._remember_me(customer_number, created)
        if admin:
            billed = (
                f"{company} v/ {person.first} {person.last}" if company else f"{person.first} {person.last}"
            )
            self._invoices(customer_number, billed, email, kind, services, created, active_until)
        if self.rng.random() < 0.45:
            self._survey(customer_number, created, active_until)

    def _logins(self, customer_number: str, email: str, start: datetime, end: datetime) -> None:
        for _ in range(self.rng.randint(3, 9)):
            self.rows[login_log.name].append(
                {
                    "id": self._next_id(login_log),
                    "customer_number": customer_number,
                    "email": email,
                    "ip_address": self.rng.choice(_IP_PREFIXES) + str(self.rng.randint(1, 254)),
                    "user_agent": self.rng.choice(_USER_AGENTS),
                    "succeeded": self.rng.random() > 0.15,
                    "created_at": self._between(start, end),
                }
            )

    def failed_logins_of_strangers(self) -> None:
        """Attempts with addresses that match no account: the security log keeps them too."""
        for number in range(1, 4):
            self.rows[login_log.name].append(
                {
                    "id": self._next_id(login_log),
                    "customer_number": None,
                    "email": f"ukjent.bruker{number}@example.com",
                    "ip_address": self.rng.choice(_IP_PREFIXES) + str(self.rng.randint(1, 254)),
                    "user_agent": self.rng.choice(_USER_AGENTS),
                    "succeeded": False,
                    "created_at": self._ago(1, 3 * _YEAR),
                }
            )

    def _remember_me(self, customer_number: str, created: datetime) -> None:
        """About two in three active users ticked "remember me"; some have not been back for 30 days."""
        if self.rng.random() > 0.65:
            return
        issued = self._between(max(created, self.now - timedelta(days=200)), self.now)
        last_used = self._between(max(issued, self.now - timedelta(days=75)), self.now)
        number = self._next_id(remember_me_tokens)
        token = hashlib.sha256(f"remember-me:{customer_number}:{number}".encode()).hexdigest()
        self.rows[remember_me_tokens.name].append(
            {
                "id": number,
                "customer_number": customer_number,
                "token_hash": token,
                "user_agent": self.rng.choice(_USER_AGENTS),
                "created_at": issued,
                "last_used_at": last_used,
            }
        )

    def _invoices(
        self,
        customer_number: str,
        billed_name: str,
        email: str,
        kind: str,
        services: list[str],
        start: datetime,
        end: datetime,
    ) -> None:
        """One invoice per service per subscription year, from the start to the end (or now)."""
        issued = start
        while issued <= end:
            for service in services:
                number = self._next_id(invoices)
                paid_at = issued + timedelta(days=self.rng.randint(3, 40))
                paid = paid_at if paid_at <= self.now else None  # issued recently and not paid yet
                self.rows[invoices.name].append(
                    {
                        "id": number,
                        "invoice_number": f"F{issued.year}-{number:05d}",
                        "customer_number": customer_number,
                        "billed_name": billed_name,
                        "billing_email": email,
                        "service": service,
                        "amount_nok": _PRICES[service],
                        "currency": "NOK",
                        "subject_kind": kind,
                        "created_at": issued,
                        "issued_at": issued,
                        "paid_at": paid,
                        "fiscal_year_ends_at": datetime(issued.year + 1, 1, 1, tzinfo=UTC),
                    }
                )
            issued += timedelta(days=_YEAR)

    def _survey(self, customer_number: str, start: datetime, end: datetime) -> None:
        self.rows[survey_responses.name].append(
            {
                "id": self._next_id(survey_responses),
                "customer_number": customer_number,
                "survey_tool": self.rng.choice(("survicate", "easyquest")),
                "score": self.rng.randint(1, 10),
                "comment": self.rng.choice(_SURVEY_COMMENTS),
                "created_at": self._between(start, end),
            }
        )

    def prospect(self, person: _Person, index: int, title: str, company: str, interest: str) -> None:
        email = self._email(person)
        phone = self._phone(person.language)
        # The last one has not been in touch for more than five years: past retention.
        last = self._ago(6 * _YEAR, 7 * _YEAR) if index == 2 else self._ago(5, 2 * _YEAR)
        slug = ascii_fold(f"{person.first}-{person.last}")
        self.rows[prospects.name].append(
            {
                "id": self._next_id(prospects),
                "name": f"{person.first} {person.last}",
                "email": email,
                "phone": phone,
                "job_title": title,
                "company": company,
                "profile_url": f"https://social.example.com/in/{slug}",
                "interested_in": interest,
                "interactions": _INTERACTIONS[index % len(_INTERACTIONS)],
                "created_at": last - timedelta(days=self.rng.randint(30, 400)),
                "last_interaction_at": last,
            }
        )
        self.subjects.append(
            DemoSubject(
                kind=DECISION_MAKER,
                name=f"{person.first} {person.last}",
                language=person.language,
                identifiers={"email": email, "phone": phone},
            )
        )

    def application(self, person: _Person, index: int, position: str) -> None:
        email = self._email(person)
        phone = self._phone(person.language)
        applied = self._ago(10, 60) if index == 0 else self._ago(100, 3 * _YEAR)
        # The first process is still running; the others have closed (one was hired).
        closed = None if index == 0 else applied + timedelta(days=self.rng.randint(20, 70))
        outcome = None if closed is None else ("hired" if index == 1 else "rejected")
        self.rows[job_applications.name].append(
            {
                "id": self._next_id(job_applications),
                "name": f"{person.first} {person.last}",
                "email": email,
                "phone": phone,
                "position": position,
                "cv_summary": _CV_SUMMARIES[index % len(_CV_SUMMARIES)],
                "outcome": outcome,
                "created_at": applied,
                "process_closed_at": closed,
            }
        )
        self.subjects.append(
            DemoSubject(
                kind=APPLICANT,
                name=f"{person.first} {person.last}",
                language=person.language,
                identifiers={"email": email, "phone": phone},
            )
        )


def _mobile_number(rng: random.Random, region: str) -> str:
    """A valid mobile number in E.164: Norwegian 4xxxxxxx/9xxxxxxx, Swedish 07x-xxx xx xx."""

    def candidate() -> str:
        if region == "SE":
            return f"+467{rng.choice('0236')}{rng.randint(0, 9_999_999):07d}"
        return norwegian_mobile_candidate(rng)

    return valid_mobile(candidate)
