"""The bot's actions on the company's own data: track a shipment (parcel), block a card and show the
balance (bank). Every read goes through `tillit.datasets.service` with the bot as actor and a purpose the
dataset declares, so it is purpose-checked and audited in the caller's transaction like any staff read.

The datasets connector reads, exports, erases and anonymises, but it does not update business rows (the
bank's card system is not tillit's to change). A card block is therefore *registered*: an audit row
`chatbot.card_block_requested` naming the card, which the bank's card system (or an advisor) carries out,
and the customer is told that the block is registered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_currency
from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.chatbot import rules, texts
from tillit.chatbot.schemas import ActionResult
from tillit.core.clock import Clock
from tillit.datasets import service as datasets_service
from tillit.policy.schema import Dataset, Policy
from tillit.subjects import service as subjects_service

BOT = Actor.bot("chatbot")
LOGIN_ACTIONS = frozenset({"card_block", "balance"})
"""Actions that read a customer's own data: only for a logged-in customer."""

_LOCALES = {"nb": "nb_NO", "sv": "sv_SE", "da": "da_DK", "en": "en_GB"}
_CURRENCIES = {"NO": "NOK", "SE": "SEK", "DK": "DKK", "FI": "EUR"}


@dataclass(frozen=True)
class Outcome:
    result: ActionResult
    text: str


def login_needed(action: str, language: str) -> Outcome:
    what = texts.text(f"login.what.{action}", language)
    return Outcome(
        ActionResult(name=action, status="login_required"), texts.text("login.needed", language, what=what)
    )


# --- parcel: track -------------------------------------------------------------------------------------


def _shipment_datasets(policy: Policy) -> tuple[Dataset | None, Dataset | None]:
    """The dataset of shipments (identified by shipment number, with a `status`) and the dataset of their
    tracking events (identified by shipment number, with `occurred_at`)."""
    by_number = [d for d in policy.datasets if any(i.kind == "shipment_number" for i in d.identity)]
    shipments = next((d for d in by_number if "status" in (*d.facts, *d.fields)), None)
    events = next((d for d in by_number if "occurred_at" in (*d.facts, *d.fields)), None)
    return shipments, events


def track(session: Session, policy: Policy, text: str, language: str, *, clock: Clock) -> Outcome:
    """Find the shipment number in the message, look it up and answer with its status."""
    numbers = rules.find_shipment_numbers(text)
    if not numbers:
        return Outcome(
            ActionResult(name="track", status="need_input"), texts.text("track.ask_number", language)
        )
    valid = [n for n in numbers if n.valid]
    if not valid:
        number = numbers[0].number
        return Outcome(
            ActionResult(name="track", status="invalid", data={"number": number}),
            texts.text("track.invalid", language, number=number),
        )
    shipments, events = _shipment_datasets(policy)
    if shipments is None:
        return Outcome(
            ActionResult(name="track", status="unavailable"), texts.text("action.unavailable", language)
        )
    number = valid[0].number
    region = policy.organisation.country
    rows = datasets_service.select_rows(
        session,
        shipments,
        {"shipment_number": [number]},
        actor=BOT,
        purpose=shipments.purposes[0],
        clock=clock,
        default_region=region,
    )
    if not rows:
        return Outcome(
            ActionResult(name="track", status="not_found", data={"number": number}),
            texts.text("track.not_found", language, number=number),
        )
    shipment = rows[0]
    latest = _latest_event(session, events, shipment, number, clock=clock, region=region)
    code = str(latest["status_code"]) if latest and latest.get("status_code") else str(shipment["status"])
    place = str(latest["place"]) if latest and latest.get("place") else ""
    at = latest.get("occurred_at") if latest else None
    when = ""
    if isinstance(at, datetime):
        when = texts.text(
            "track.when",
            language,
            date=format_datetime(at, "d MMM yyyy HH:mm", tzinfo=None, locale=_LOCALES.get(language, "en_GB")),
        )
    reply = texts.text(
        "track.status",
        language,
        number=number,
        status=texts.status_text(code, language),
        where=texts.text("track.where", language, place=place) if place else "",
        when=when,
    )
    data: dict[str, Any] = {"number": number, "status": str(shipment["status"]), "event": code}
    if isinstance(at, datetime):
        data["at"] = at.isoformat()
    return Outcome(ActionResult(name="track", status="done", data=data), reply)


def _latest_event(
    session: Session,
    events: Dataset | None,
    shipment: Mapping[str, Any],
    number: str,
    *,
    clock: Clock,
    region: str,
) -> dict[str, Any] | None:
    if events is None:
        return None
    wanted = [str(v) for v in (shipment.get("tracking_number"), number) if v]
    rows = datasets_service.select_rows(
        session,
        events,
        {"shipment_number": list(dict.fromkeys(wanted))},
        actor=BOT,
        purpose=events.purposes[0],
        clock=clock,
        default_region=region,
    )
    dated = [r for r in rows if isinstance(r.get("occurred_at"), datetime)]
    return max(dated, key=lambda r: r["occurred_at"]) if dated else None


# --- bank: card_block and balance ----------------------------------------------------------------------


def _customer_rows(
    session: Session, policy: Policy, dataset_id: str, subject_id: str, *, clock: Clock, secret: str
) -> tuple[Dataset, list[dict[str, Any]]]:
    dataset = policy.dataset(dataset_id)
    purpose = dataset.purposes[0]
    identities = subjects_service.identities_of(session, subject_id, secret=secret)
    audit_service.record_as(
        session,
        BOT,
        "chatbot.identities_read",
        purpose=purpose,
        subject_id=subject_id,
        record_type="subject",
        record_id=subject_id,
        detail={"for": dataset_id},
        clock=clock,
    )
    rows = datasets_service.select_rows(
        session,
        dataset,
        identities,
        actor=BOT,
        purpose=purpose,
        clock=clock,
        default_region=policy.organisation.country,
        subject_id=subject_id,
    )
    return dataset, rows


def card_block(
    session: Session, policy: Policy, text: str, language: str, subject_id: str, *, clock: Clock, secret: str
) -> Outcome:
    """Register a block of the customer's card: the one whose last four digits the message names, or
    the only active one; with several and none named, ask which."""
    dataset, rows = _customer_rows(session, policy, "cards", subject_id, clock=clock, secret=secret)
    open_cards = [r for r in rows if not r.get("closed_at")]
    active = [r for r in open_cards if r.get("status") != "blocked"]
    named = set(re.findall(r"(?<!\d)\d{4}(?!\d)", text))
    chosen = [r for r in open_cards if str(r.get("last_four")) in named]
    if not chosen and len(active) == 1:
        chosen = active
    if not open_cards:
        return Outcome(ActionResult(name="card_block", status="not_found"), texts.text("card.none", language))
    if not chosen:
        listed = ", ".join(_card_label(r) for r in active or open_cards)
        return Outcome(
            ActionResult(
                name="card_block", status="need_input", data={"cards": [r["last_four"] for r in active]}
            ),
            texts.text("card.which", language, cards=listed),
        )
    card = chosen[0]
    label = _card_label(card)
    if card.get("status") == "blocked":
        return Outcome(
            ActionResult(name="card_block", status="done", data={"card": card["last_four"], "already": True}),
            texts.text("card.already", language, card=label),
        )
    audit_service.record_as(
        session,
        BOT,
        "chatbot.card_block_requested",
        purpose=dataset.purposes[0],
        subject_id=subject_id,
        record_type=dataset.id,
        record_id=str(card[dataset.primary_key]),
        detail={"last_four": card["last_four"]},
        clock=clock,
    )
    return Outcome(
        ActionResult(name="card_block", status="done", data={"card": card["last_four"], "registered": True}),
        texts.text("card.blocked", language, card=label),
    )


def balance(
    session: Session, policy: Policy, language: str, subject_id: str, *, clock: Clock, secret: str
) -> Outcome:
    """The balance of each of the customer's open accounts, account numbers masked to the last four."""
    _, rows = _customer_rows(session, policy, "accounts", subject_id, clock=clock, secret=secret)
    open_accounts = [r for r in rows if not r.get("closed_at")]
    if not open_accounts:
        return Outcome(ActionResult(name="balance", status="not_found"), texts.text("balance.none", language))
    currency = _CURRENCIES.get(policy.organisation.country, "EUR")
    locale = _LOCALES.get(language, "en_GB")
    parts = [
        f"{r.get('product') or ''} ****{str(r.get('account_number', ''))[-4:]}: "
        f"{format_currency(Decimal(str(r.get('balance') or 0)), currency, locale=locale)}".strip()
        for r in open_accounts
    ]
    data = {"accounts": len(open_accounts), "currency": currency}
    return Outcome(
        ActionResult(name="balance", status="done", data=data),
        texts.text("balance.list", language, accounts="; ".join(parts)),
    )


def _card_label(card: Mapping[str, Any]) -> str:
    return f"{card.get('brand') or ''} **** {card.get('last_four')}".strip()
