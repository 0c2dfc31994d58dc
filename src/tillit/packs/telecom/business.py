"""Nordtel's own tables (subscribers, subscriptions, call records with cell location, invoices) and
fictional rows for the demo.

These are the operator's systems that tillit reaches as *datasets* (declared in `policy.yaml`), not
tillit's tables. Rows are deterministic for a seed and dated relative to `now`, so a demo shows data on both
sides of every period: call records younger and older than the one-year logging period, customers whose
contract ended more or less than a year ago, invoices inside and beyond the five bookkeeping years.

Tables are linked by customer number and phone number, not by foreign keys: each table has its own
retention (subscribers are deleted a year after the contract, invoices kept five years), and an anonymised
row must not keep a link back to the person.
Personal columns are nullable because anonymisation clears them and keeps the row for statistics.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import BigInteger, Column, Float, Integer, MetaData, String, Table
from stdnum.dk import cpr

from tillit.db.base import NAMING_CONVENTION, UtcDateTime
from tillit.packs.base import BusinessData, DemoSubject, id_column, personal, plain
from tillit.packs.fiction import (
    DANISH_SPELLING,
    ascii_slug,
    draw_unique,
    mobile_number,
    whole_seconds_utc,
    with_luhn,
)

metadata = MetaData(naming_convention=NAMING_CONVENTION)

subscribers = Table(
    "telecom_subscribers",
    metadata,
    id_column(),
    Column("customer_number", String(8), unique=True, nullable=True, info=personal()),
    Column("name", String(120), nullable=True, info=personal()),
    Column("street_address", String(120), nullable=True, info=personal()),
    Column("postcode", String(4), nullable=True, info=personal()),
    Column("city", String(60), nullable=True, info=personal()),
    Column("email", String(254), nullable=True, index=True, info=personal()),
    Column("phone", String(16), nullable=True, index=True, info=personal()),
    Column("cpr_number", String(10), nullable=True, index=True, info=personal()),
    Column("bank_account", String(20), nullable=True, info=personal()),
    Column("credit_rating", String(2), nullable=True, info=personal()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
    Column("contract_ended_at", UtcDateTime(), nullable=True, info=plain()),
)
"""The customer register. `contract_ended_at` anchors the one-year period after the customer leaves."""

subscriptions = Table(
    "telecom_subscriptions",
    metadata,
    id_column(),
    Column("customer_number", String(8), nullable=True, index=True, info=personal()),
    Column("msisdn", String(16), nullable=True, index=True, info=personal()),
    Column("contract_type", String(32), nullable=True, info=personal()),
    Column("plan_code", String(32), nullable=True, info=personal()),
    Column("started_at", UtcDateTime(), nullable=False, info=plain()),
    Column("contract_ended_at", UtcDateTime(), nullable=True, info=plain()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
)

call_records = Table(
    "telecom_call_records",
    metadata,
    id_column(),
    Column("msisdn", String(16), nullable=True, index=True, info=personal()),
    Column("started_at", UtcDateTime(), nullable=False, index=True, info=plain()),
    Column("kind", String(8), nullable=True, info=personal()),
    Column("direction", String(8), nullable=True, info=personal()),
    Column("duration_seconds", Integer, nullable=True, info=personal()),
    Column("other_party_hash", String(32), nullable=True, info=personal()),
    Column("cell_id", String(32), nullable=True, info=personal()),
    Column("cell_latitude", Float, nullable=True, info=personal()),
    Column("cell_longitude", Float, nullable=True, info=personal()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
)
"""Traffic data with the cell site the phone used: what the data retention order makes the operator log.
The other party is stored only as a keyed hash, so the log can link calls between the same two numbers
without holding the other person's number in clear."""

invoices = Table(
    "telecom_invoices",
    metadata,
    id_column(),
    Column("invoice_number", String(12), unique=True, nullable=True, info=personal()),
    Column("customer_number", String(8), nullable=True, index=True, info=personal()),
    Column("billing_name", String(120), nullable=True, info=personal()),
    Column("billing_address", String(200), nullable=True, info=personal()),
    Column("amount_ore", BigInteger, nullable=True, info=personal()),
    Column("payment_method", String(24), nullable=True, info=personal()),
    Column("issued_at", UtcDateTime(), nullable=False, info=plain()),
    Column("due_at", UtcDateTime(), nullable=False, info=plain()),
    Column("paid_at", UtcDateTime(), nullable=True, info=plain()),
    Column("fiscal_year_ends_at", UtcDateTime(), nullable=False, info=plain()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
)
"""Invoices carry the billing name and address themselves: they are accounting records kept five years
after the financial year, longer than the customer register keeps the customer."""

OTHER_PARTY_KEY = b"nordtel-demo-other-party-key"
"""The demo's key for hashing the other party's number. A real deployment keeps it out of the database;
a plain hash of an 8-digit phone number could be reversed by trying all of them."""

PLANS: dict[str, tuple[str, int]] = {
    "MOBIL_BASIS": ("mobile_postpaid", 9900),
    "MOBIL_FRI": ("mobile_postpaid", 19900),
    "MOBIL_FAMILIE": ("mobile_postpaid", 14900),
    "DATA_5G": ("mobile_broadband", 24900),
}
"""Plan code -> (contract type, monthly price in øre)."""


@dataclass(frozen=True)
class Cell:
    cell_id: str
    latitude: float
    longitude: float
    city: str


CELLS: tuple[Cell, ...] = (
    Cell("238-99-1010-20011", 55.6761, 12.5683, "København K"),
    Cell("238-99-1010-20012", 55.6632, 12.5910, "København S"),
    Cell("238-99-1010-20013", 55.6980, 12.5480, "København N"),
    Cell("238-99-1020-20021", 55.6400, 12.0800, "Roskilde"),
    Cell("238-99-2010-30011", 56.1572, 10.2107, "Aarhus C"),
    Cell("238-99-2010-30012", 56.1700, 10.1900, "Aarhus N"),
    Cell("238-99-3010-40011", 55.3959, 10.3883, "Odense C"),
    Cell("238-99-4010-50011", 57.0488, 9.9217, "Aalborg"),
    Cell("238-99-5010-60011", 55.4904, 9.4722, "Kolding"),
    Cell("238-99-6010-70011", 55.7090, 9.5357, "Vejle"),
)
"""Fictional cell sites (MCC 238 Denmark, MNC 99 unused) near real towns, so a map looks plausible."""

_TOWNS: tuple[tuple[str, str, int], ...] = (
    ("1050", "København K", 0),
    ("2300", "København S", 1),
    ("2200", "København N", 2),
    ("4000", "Roskilde", 3),
    ("8000", "Aarhus C", 4),
    ("8200", "Aarhus N", 5),
    ("5000", "Odense C", 6),
    ("9000", "Aalborg", 7),
    ("6000", "Kolding", 8),
    ("7100", "Vejle", 9),
)
"""(postcode, town, index of the home cell in CELLS)."""

_FIRST_NAMES = ("Mette", "Rasmus", "Signe", "Mads", "Freja", "Anders", "Ida", "Kasper", "Karen", "Jens")
_LAST_NAMES = ("Kjærgaard", "Østergård", "Lykkegaard", "Bundgaard", "Skovby", "Vestergård", "Dalsgaard")
_STREETS = ("Eksempelvej", "Prøvegade", "Demostræde", "Testallé", "Fiktivvej")
_PAYMENT_METHODS = ("betalingsservice", "card", "mobilepay")


def generate(now: datetime, seed: int = 7) -> BusinessData:
    """25 fictional customers with their subscriptions, 15 months of traffic and up to 7 years of invoices.

    One customer in five has left: some less than a year ago (still held), some more (past the period).
    """
    rng = random.Random(seed)
    now = whole_seconds_utc(now)
    subjects: list[DemoSubject] = []
    subscriber_rows: list[dict[str, Any]] = []
    subscription_rows: list[dict[str, Any]] = []
    call_rows: list[dict[str, Any]] = []
    invoice_rows: list[dict[str, Any]] = []
    used: set[str] = set()

    for index in range(25):
        name = draw_unique(used, lambda: f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}")
        customer_number = draw_unique(used, lambda: _customer_number(rng))
        cpr_number = draw_unique(used, lambda: _cpr_number(rng))
        phone = draw_unique(used, lambda: _mobile_number(rng))
        postcode, town, home_cell = rng.choice(_TOWNS)
        street = f"{rng.choice(_STREETS)} {rng.randint(1, 120)}"
        created_at = now - timedelta(days=rng.randint(400, 9 * 365), hours=rng.randint(0, 23))
        ended_at = _contract_end(rng, index, now, created_at)
        language = "en" if index % 9 == 4 else "da"
        email = f"{ascii_slug(name, DANISH_SPELLING)}.{customer_number[-3:]}@example.com"

        subjects.append(
            DemoSubject(
                kind="customer",
                name=name,
                language=language,
                identifiers={
                    "customer_number": customer_number,
                    "national_id": cpr_number,
                    "email": email,
                    "phone": phone,
                },
            )
        )
        subscriber_rows.append(
            {
                "id": index + 1,
                "customer_number": customer_number,
                "name": name,
                "street_address": street,
                "postcode": postcode,
                "city": town,
                "email": email,
                "phone": phone,
                "cpr_number": cpr_number,
                "bank_account": f"{rng.randint(1000, 9899):04d}-{rng.randint(0, 9_999_999_999):010d}",
                "credit_rating": rng.choice(("A", "A", "B", "C")),
                "created_at": created_at,
                "contract_ended_at": ended_at,
            }
        )

        lines = [(phone, rng.choice(("MOBIL_BASIS", "MOBIL_FRI", "MOBIL_FAMILIE")), created_at)]
        if rng.random() < 0.3:
            second_start = created_at + timedelta(days=rng.randint(30, 300))
            lines.append((draw_unique(used, lambda: _mobile_number(rng)), "DATA_5G", second_start))
        monthly_ore = 0
        for msisdn, plan, started_at in lines:
            contract_type, price = PLANS[plan]
            monthly_ore += price
            subscription_rows.append(
                {
                    "id": len(subscription_rows) + 1,
                    "customer_number": customer_number,
                    "msisdn": msisdn,
                    "contract_type": contract_type,
                    "plan_code": plan,
                    "started_at": started_at,
                    "contract_ended_at": ended_at,
                    "created_at": started_at,
                }
            )
            call_rows.extend(
                _traffic(rng, now, msisdn, contract_type, started_at, ended_at, CELLS[home_cell])
            )

        invoice_rows.extend(
            _invoices(
                random.Random(f"{seed}:invoices:{index}"),
                now,
                customer_number=customer_number,
                billing_name=name,
                billing_address=f"{street}, {postcode} {town}",
                monthly_ore=monthly_ore,
                created_at=created_at,
                ended_at=ended_at,
            )
        )

    call_rows.sort(key=lambda row: (row["started_at"], row["msisdn"]))
    for number, row in enumerate(call_rows, start=1):
        row["id"] = number
    invoice_rows.sort(key=lambda row: (row["issued_at"], row["customer_number"]))
    for number, row in enumerate(invoice_rows, start=1):
        row["id"] = number
        row["invoice_number"] = f"{row['issued_at'].year}{number:06d}"
    return BusinessData(
        subjects=subjects,
        rows={
            subscribers.name: subscriber_rows,
            subscriptions.name: subscription_rows,
            call_records.name: call_rows,
            invoices.name: invoice_rows,
        },
    )


def hash_other_party(number: str) -> str:
    """The keyed hash stored instead of the other party's number (32 hex characters)."""
    return hmac.new(OTHER_PARTY_KEY, number.encode(), hashlib.sha256).hexdigest()[:32]


def _customer_number(rng: random.Random) -> str:
    """Eight digits starting with 7, the last a Luhn check digit (so a typo is caught at the counter)."""
    return with_luhn("7" + f"{rng.randint(0, 999_999):06d}")


def _cpr_number(rng: random.Random) -> str:
    """A CPR number with a real birth date (1946-2005), the century digit that matches it, and a serial
    that also passes the old modulus-11 check. The birth date does not depend on `now`, so the random
    stream, and with it every row, only shifts when the clock moves."""
    birth = date(1946, 1, 1) + timedelta(days=rng.randint(0, 60 * 365))
    while True:
        century_digit = rng.randint(0, 3) if birth.year < 2000 else 4
        serial = f"{century_digit}{rng.randint(0, 999):03d}"
        number = birth.strftime("%d%m%y") + serial
        if cpr.is_valid(number) and cpr.checksum(number) == 0 and cpr.get_birth_date(number) == birth:
            return number


_MOBILE_PREFIXES = ("2", "30", "31", "40", "41", "42", "50", "51", "52", "53", "60", "61")


def _mobile_number(rng: random.Random) -> str:
    """A Danish mobile number in E.164 that `phonenumbers` accepts."""
    return mobile_number(rng, "+45", _MOBILE_PREFIXES, 8)


def _contract_end(rng: random.Random, index: int, now: datetime, created_at: datetime) -> datetime | None:
    """Every fifth customer has left: alternately within the last year and one to three years ago."""
    if index % 5 != 3:
        return None
    days = rng.randint(20, 300) if index % 10 == 3 else rng.randint(400, 3 * 365)
    return max(now - timedelta(days=days), created_at + timedelta(days=60))


def _traffic(
    rng: random.Random,
    now: datetime,
    msisdn: str,
    contract_type: str,
    started_at: datetime,
    ended_at: datetime | None,
    home: Cell,
) -> list[dict[str, Any]]:
    """Calls, SMS, MMS (or data sessions for a broadband line) over the last 15 months of the contract,
    mostly through the home cell."""
    window_start = max(started_at, now - timedelta(days=456))
    window_end = ended_at or now
    if window_end <= window_start:
        return []
    span = int((window_end - window_start).total_seconds())
    rows: list[dict[str, Any]] = []
    for _ in range(rng.randint(12, 24)):
        at = window_start + timedelta(seconds=rng.randint(0, span))
        cell = home if rng.random() < 0.7 else rng.choice(CELLS)
        if contract_type == "mobile_broadband":
            kind, direction, duration, other = "data", "out", rng.randint(60, 7200), None
        else:
            kind = rng.choice(("voice", "voice", "voice", "sms", "sms", "mms"))
            direction = rng.choice(("out", "in"))
            duration = rng.randint(5, 1800) if kind == "voice" else 0
            other = hash_other_party(_mobile_number(rng))
        rows.append(
            {
                "msisdn": msisdn,
                "started_at": at,
                "kind": kind,
                "direction": direction,
                "duration_seconds": duration,
                "other_party_hash": other,
                "cell_id": cell.cell_id,
                "cell_latitude": cell.latitude,
                "cell_longitude": cell.longitude,
                "created_at": at,
            }
        )
    return rows


def _invoices(
    rng: random.Random,
    now: datetime,
    *,
    customer_number: str,
    billing_name: str,
    billing_address: str,
    monthly_ore: int,
    created_at: datetime,
    ended_at: datetime | None,
) -> list[dict[str, Any]]:
    """A monthly invoice on the first of each month of the contract within the last seven years (so some
    are past the five bookkeeping years after their financial year). The latest may still be unpaid.

    Calendar months make the number of invoices depend on `now`; `rng` is therefore the customer's own
    invoice stream, so that a moved clock cannot change the other tables' rows."""
    first = max(created_at, now - relativedelta(years=7))
    issued = datetime(first.year, first.month, 1, 6, 0, tzinfo=UTC) + relativedelta(months=1)
    last = ended_at or now
    payment_method = rng.choice(_PAYMENT_METHODS)
    rows: list[dict[str, Any]] = []
    while issued <= last:
        due = issued + timedelta(days=14)
        paid = due - timedelta(days=rng.randint(0, 10)) if due < now else None
        rows.append(
            {
                "customer_number": customer_number,
                "billing_name": billing_name,
                "billing_address": billing_address,
                "amount_ore": monthly_ore + rng.choice((0, 0, 0, 2900, 4900)),
                "payment_method": payment_method,
                "issued_at": issued,
                "due_at": due,
                "paid_at": paid,
                "fiscal_year_ends_at": datetime(issued.year + 1, 1, 1, tzinfo=UTC),
                "created_at": issued,
            }
        )
        issued += relativedelta(months=1)
    return rows
