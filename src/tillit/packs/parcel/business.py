"""Nordpost's own tables (shipments and their tracking events) and fictional rows for the demo.

These are the company's systems that tillit reaches as *datasets* (declared in `policy.yaml`), not tillit's
tables. The rows are deterministic for a seed and dated relative to `now`, so a demo started with a moved
clock shows shipments on both sides of every retention period: recent ones in transit, delivered ones
still held, and ones delivered more than a year ago that the sweeper anonymises.

Personal columns are nullable because anonymisation clears them and keeps the row for statistics.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, MetaData, String, Table

from tillit.db.base import NAMING_CONVENTION, UtcDateTime
from tillit.packs.base import BusinessData, DemoSubject, id_column, personal, plain
from tillit.packs.fiction import ascii_slug, draw_unique, mobile_number, whole_seconds_utc
from tillit.packs.parcel.tracking import make_s10, make_sscc

metadata = MetaData(naming_convention=NAMING_CONVENTION)

shipments = Table(
    "parcel_shipments",
    metadata,
    id_column(),
    Column("tracking_number", String(13), unique=True, nullable=True, info=personal()),
    Column("sscc", String(18), unique=True, nullable=True, info=personal()),
    Column("service_code", String(24), nullable=False, info=plain()),
    Column("sender_name", String(120), nullable=False, info=plain()),
    Column("recipient_name", String(120), nullable=True, info=personal()),
    Column("recipient_email", String(254), nullable=True, index=True, info=personal()),
    Column("recipient_phone", String(20), nullable=True, index=True, info=personal()),
    Column("recipient_postcode", String(10), nullable=True, info=personal()),
    Column("recipient_country", String(2), nullable=True, info=personal()),
    Column("recipient_language", String(2), nullable=True, info=personal()),
    Column("status", String(24), nullable=False, info=plain()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
    Column("completed_at", UtcDateTime(), nullable=True, info=plain()),
)
"""One row per shipment. `completed_at` is when it was delivered or returned to the sender (the anchor of
the one-year period); still open shipments have none."""

tracking_events = Table(
    "parcel_tracking_events",
    metadata,
    id_column(),
    Column("tracking_number", String(13), nullable=True, index=True, info=personal()),
    Column("occurred_at", UtcDateTime(), nullable=False, info=plain()),
    Column("place", String(80), nullable=True, info=personal()),
    Column("status_code", String(24), nullable=True, info=personal()),
    Column("created_at", UtcDateTime(), nullable=False, info=plain()),
)
"""Scan events keyed by the S10 item number, as in a carrier's event store (no foreign key: events are
deleted after a year while the shipment row is anonymised and kept)."""

SHIPMENT_STATUSES: tuple[str, ...] = ("in_transit", "ready_for_pickup", "delivered", "returned")

STATUS_TEXT: dict[str, dict[str, str]] = {
    "REGISTERED": {
        "sv": "Försändelsen är registrerad av avsändaren",
        "nb": "Sendingen er registrert av avsender",
        "da": "Forsendelsen er registreret af afsenderen",
        "en": "The shipment has been registered by the sender",
    },
    "ACCEPTED": {
        "sv": "Försändelsen har tagits emot av Nordpost",
        "nb": "Sendingen er mottatt av Nordpost",
        "da": "Forsendelsen er modtaget af Nordpost",
        "en": "The shipment has been received by Nordpost",
    },
    "ARRIVED_TERMINAL": {
        "sv": "Försändelsen har anlänt till terminalen",
        "nb": "Sendingen har ankommet terminalen",
        "da": "Forsendelsen er ankommet til terminalen",
        "en": "The shipment has arrived at the terminal",
    },
    "OUT_FOR_DELIVERY": {
        "sv": "Försändelsen är ute för utdelning",
        "nb": "Sendingen er ute for levering",
        "da": "Forsendelsen er ude til omdeling",
        "en": "The shipment is out for delivery",
    },
    "READY_FOR_PICKUP": {
        "sv": "Försändelsen kan hämtas hos ombudet",
        "nb": "Sendingen kan hentes på hentestedet",
        "da": "Forsendelsen kan afhentes i pakkeshoppen",
        "en": "The shipment is ready for pickup",
    },
    "DELIVERED": {
        "sv": "Försändelsen är utlämnad",
        "nb": "Sendingen er levert",
        "da": "Forsendelsen er leveret",
        "en": "The shipment has been delivered",
    },
    "RETURNED": {
        "sv": "Försändelsen har returnerats till avsändaren",
        "nb": "Sendingen er returnert til avsender",
        "da": "Forsendelsen er returneret til afsenderen",
        "en": "The shipment has been returned to the sender",
    },
}
"""Status texts per event code in every pack language; the table stores only the code."""

SSCC_COMPANY_PREFIX = "7099999"
"""A fictional GS1 company prefix in Norway's 70 range."""


@dataclass(frozen=True)
class _Region:
    country: str
    language: str
    calling_code: str
    mobile_prefixes: tuple[str, ...]
    """Leading digits of mobile numbers in the national numbering plan."""
    national_length: int
    postcodes: tuple[tuple[str, str], ...]
    """(postcode, place) pairs."""
    terminal: str


_REGIONS: tuple[_Region, ...] = (
    _Region(
        "NO",
        "nb",
        "+47",
        ("4", "9"),
        8,
        (("0150", "Oslo"), ("5003", "Bergen"), ("7010", "Trondheim"), ("4006", "Stavanger")),
        "Oslo terminal",
    ),
    _Region(
        "SE",
        "sv",
        "+46",
        ("70", "72", "73", "76"),
        9,
        (("11455", "Stockholm"), ("41101", "Göteborg"), ("21115", "Malmö"), ("75320", "Uppsala")),
        "Göteborg terminal",
    ),
    _Region(
        "DK",
        "da",
        "+45",
        ("2", "30", "40", "50", "60"),
        8,
        (("2300", "København S"), ("8000", "Aarhus C"), ("5000", "Odense C"), ("9000", "Aalborg")),
        "Taastrup terminal",
    ),
)

_FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "nb": ("Ingrid", "Ola", "Kari", "Sindre", "Ragnhild", "Eirik", "Solveig", "Torstein"),
    "sv": ("Astrid", "Johan", "Elsa", "Nils", "Maja", "Oskar", "Linnea", "Gustav"),
    "da": ("Mette", "Rasmus", "Signe", "Mads", "Freja", "Anders", "Ida", "Kasper"),
    "en": ("Emily", "James", "Olivia", "Daniel"),
}
_LAST_NAMES: dict[str, tuple[str, ...]] = {
    "nb": ("Fjellheim", "Nordvik", "Solberg", "Haugland", "Lundeby", "Strandmo"),
    "sv": ("Lindqvist", "Bergström", "Ekholm", "Sandberg", "Holmgren", "Åkesson"),
    "da": ("Kjærgaard", "Østergård", "Lykkegaard", "Bundgaard", "Skovby", "Vestergård"),
    "en": ("Whitfield", "Harrow", "Kensley", "Marlowe"),
}
_SENDERS: tuple[str, ...] = (
    "Exempelbutiken AB",
    "Eksempelbutikken AS",
    "Eksempelshoppen ApS",
    "Sample Outdoor Ltd",
    "Nettlager Demo AS",
)


def generate(now: datetime, seed: int = 7) -> BusinessData:
    """Fictional recipients with 1-3 shipments each and their tracking events, dated relative to `now`.

    Shipments are spread over the last three years: most delivered, a few still in transit or waiting at
    a pickup point, at least one returned to the sender, and one lost in transit for more than two years
    (so that every retention rule of `shipment_delivery` has rows to act on).
    """
    rng = random.Random(seed)
    now = whole_seconds_utc(now)
    subjects: list[DemoSubject] = []
    shipment_rows: list[dict[str, Any]] = []
    delivery_places: dict[str, tuple[_Region, str]] = {}
    used_serials: set[str] = set()
    used_names: set[str] = set()
    used_phones: set[str] = set()

    for index in range(24):
        region = _REGIONS[index % len(_REGIONS)]
        language = "en" if index % 8 == 7 else region.language
        name = _unique_name(rng, language, used_names)
        email = f"{ascii_slug(name)}@example.com"
        phone = _mobile_number(rng, region, used_phones)
        postcode, place = rng.choice(region.postcodes)
        subjects.append(
            DemoSubject(
                kind="customer",
                name=name,
                language=language,
                identifiers={"email": email, "phone": phone},
            )
        )
        for _ in range(rng.randint(1, 3)):
            shipment_id = len(shipment_rows) + 1
            service = rng.choice(("CP", "CP", "CP", "RR"))
            tracking_number = make_s10(service, _unique_serial(rng, used_serials), "NO")
            created_at = _created_at(rng, now)
            status, completed_at = _outcome(rng, now, created_at)
            shipment_rows.append(
                {
                    "id": shipment_id,
                    "tracking_number": tracking_number,
                    "sscc": make_sscc(rng.randint(0, 9), SSCC_COMPANY_PREFIX, f"{shipment_id:09d}"),
                    "service_code": "PARCEL" if service == "CP" else "REGISTERED_LETTER",
                    "sender_name": rng.choice(_SENDERS),
                    "recipient_name": name,
                    "recipient_email": email,
                    "recipient_phone": phone,
                    "recipient_postcode": postcode,
                    "recipient_country": region.country,
                    "recipient_language": language,
                    "status": status,
                    "created_at": created_at,
                    "completed_at": completed_at,
                }
            )
            delivery_places[tracking_number] = (region, f"{postcode} {place}")

    _add_edge_cases(shipment_rows, now)
    event_rows: list[dict[str, Any]] = []
    for row in shipment_rows:
        region, delivery_place = delivery_places[row["tracking_number"]]
        history = _events(now, row["created_at"], row["status"], row["completed_at"], region, delivery_place)
        for occurred_at, code, where in history:
            event_rows.append(
                {
                    "tracking_number": row["tracking_number"],
                    "occurred_at": occurred_at,
                    "place": where,
                    "status_code": code,
                    "created_at": occurred_at,
                }
            )
    event_rows.sort(key=lambda event: (event["occurred_at"], event["tracking_number"]))
    for number, event in enumerate(event_rows, start=1):
        event["id"] = number
    return BusinessData(
        subjects=subjects,
        rows={shipments.name: shipment_rows, tracking_events.name: event_rows},
    )


def _unique_name(rng: random.Random, language: str, used: set[str]) -> str:
    return draw_unique(
        used, lambda: f"{rng.choice(_FIRST_NAMES[language])} {rng.choice(_LAST_NAMES[language])}"
    )


def _mobile_number(rng: random.Random, region: _Region, used: set[str]) -> str:
    """A mobile number in E.164 that `phonenumbers` accepts as valid for the region."""
    return draw_unique(
        used, lambda: mobile_number(rng, region.calling_code, region.mobile_prefixes, region.national_length)
    )


def _unique_serial(rng: random.Random, used: set[str]) -> str:
    return draw_unique(used, lambda: f"{rng.randint(0, 99_999_999):08d}")


def _created_at(rng: random.Random, now: datetime) -> datetime:
    """One shipment in five is from the last two weeks (so the demo has parcels on their way); the rest
    spread over three years, on both sides of the one-year period."""
    days = rng.randint(0, 13) if rng.random() < 0.2 else rng.randint(14, 3 * 365)
    return now - timedelta(days=days, hours=rng.randint(0, 23))


def _outcome(rng: random.Random, now: datetime, created_at: datetime) -> tuple[str, datetime | None]:
    """Status and completion time: shipments older than three weeks are delivered (or, rarely, returned)."""
    age = now - created_at
    if age < timedelta(days=3):
        return "in_transit", None
    if age < timedelta(days=21) and rng.random() < 0.4:
        return "ready_for_pickup", None
    if age >= timedelta(days=21) and rng.random() < 0.1:
        return "returned", created_at + timedelta(days=rng.randint(16, 20))
    completed = created_at + timedelta(days=rng.randint(2, 4), hours=rng.randint(1, 8))
    return "delivered", min(completed, now)


def _events(
    now: datetime,
    created_at: datetime,
    status: str,
    completed_at: datetime | None,
    region: _Region,
    delivery_place: str,
) -> list[tuple[datetime, str, str]]:
    """The scan history that leads to `status`, each event no later than `now`."""
    steps: list[tuple[timedelta, str, str]] = [
        (timedelta(0), "REGISTERED", "Nordpost"),
        (timedelta(hours=6), "ACCEPTED", "Oslo terminal"),
        (timedelta(days=1), "ARRIVED_TERMINAL", region.terminal),
    ]
    if status == "in_transit" and now - created_at > timedelta(days=30):
        steps = steps[:2]  # lost on the way: never scanned at a terminal
    if status in ("ready_for_pickup", "delivered", "returned"):
        steps.append((timedelta(days=2), "READY_FOR_PICKUP", delivery_place))
    events = [(created_at + offset, code, where) for offset, code, where in steps]
    if status == "delivered" and completed_at is not None:
        events.append((completed_at, "DELIVERED", delivery_place))
    elif status == "returned" and completed_at is not None:
        events.append((completed_at, "RETURNED", "Oslo terminal"))
    return [event for event in events if event[0] <= now]


def _add_edge_cases(shipment_rows: list[dict[str, Any]], now: datetime) -> None:
    """The oldest shipment never arrived (in transit for over two years: the catch-all rule), and the
    second oldest went back to the sender (the `returned` status)."""
    by_age = sorted(shipment_rows, key=lambda row: row["created_at"])
    lost, returned = by_age[0], by_age[1]
    lost.update(created_at=now - timedelta(days=800), status="in_transit", completed_at=None)
    returned.update(status="returned", completed_at=returned["created_at"] + timedelta(days=18))
