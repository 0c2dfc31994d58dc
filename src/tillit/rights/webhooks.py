"""Processor webhooks: tell processors holding a copy of the data that it was rectified or erased.

Why an outbox: the request's execution and the HTTP call cannot share a transaction. `WebhookNotifier`
(the `ProcessorNotifier` the execution calls) only *writes* a `rights_webhook_delivery` row inside the
execution's transaction, so the obligation to notify commits together with the change it reports, and a
crash afterwards loses nothing. `deliver_pending` (called right after the execution commits, and by a
periodic job) sends what is due, with exponential backoff between attempts, and gives up after
`MAX_ATTEMPTS`: the console lists given-up deliveries for the DPO to follow up by hand.

What is sent (data minimisation, decided here and documented in the body's `schema`):
- always: the event, the delivery and request ids, tillit's subject id (a pseudonymous key the processor
  received with the data) and the *names* of the changed fields;
- for rectification, the new value of a field only when the recipient already holds that field's data
  category (a category of a purpose that lists the recipient, or a parent of it). A processor that never
  received e-mail addresses is told "email changed", never the address;
- for erasure, nothing but ids and the names of the erased record kinds: the processor deletes what it
  holds under that subject id.

Signing: each recipient gets its own key, `derive_key(secret, "tillit/rights-webhook/v1/<recipient>")`,
so a key leaked by one processor cannot forge messages to another. `X-Tillit-Signature: sha256=<hex>` is
HMAC-SHA256 over `<timestamp>.<body>`, and `X-Tillit-Timestamp` carries that Unix timestamp: binding the
timestamp into the MAC is what makes replay protection work (a receiver refuses timestamps older than a
few minutes, see `verify_signature`); signing the body alone would let a recorded request be replayed
with a fresh header. `webhook_key` gives the operator the hex key to hand to the processor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.core.clock import Clock
from tillit.core.crypto import derive_key
from tillit.core.ids import new_id
from tillit.policy.schema import Policy
from tillit.rights.intake_models import RightsWebhookDelivery

EVENTS = frozenset({"rectification", "erasure"})
KIND_CATEGORIES = {
    "email": "user.contact.email",
    "phone": "user.contact.phone_number",
    "name": "user.name",
    "customer_number": "user.unique_id.customer_number",
    "national_id": "user.government_id.national_identification_number",
}
"""The data category of each rectifiable identity kind (`RequestCreate.details["kind"]`)."""
MAX_ATTEMPTS = 6
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
TOLERANCE_SECONDS = 300
SCHEMA = "tillit.rights.webhook/v1"
SIGNATURE_HEADER = "X-Tillit-Signature"
TIMESTAMP_HEADER = "X-Tillit-Timestamp"


class HttpPoster(Protocol):
    """The transport: POST `body` to `url` and return the status code (raise OSError when unreachable)."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int: ...


class UrllibPoster:
    """The default transport (stdlib): no redirects followed, a short timeout, any non-2xx is a failure."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        if not url.startswith(("https://", "http://")):
            raise ValueError("a callback URL must be http(s)")
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


def webhook_key(secret: str, recipient_id: str) -> bytes:
    """The recipient's signing key (hand `.hex()` of it to the processor over a safe channel)."""
    return derive_key(secret, f"tillit/rights-webhook/v1/{recipient_id}".encode())


def sign(key: bytes, timestamp: int, body: bytes) -> str:
    return "sha256=" + hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(key: bytes, headers: Mapping[str, str], body: bytes, *, now: int) -> bool:
    """What a receiver does: recompute the MAC and refuse stale timestamps (replay)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lowered.get(TIMESTAMP_HEADER.lower(), ""))
    except ValueError:
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(key, timestamp, body), lowered.get(SIGNATURE_HEADER.lower(), ""))


def recipient_categories(policy: Policy, recipient_id: str) -> frozenset[str]:
    """Data categories the recipient receives: those of every purpose that lists it."""
    return frozenset(c for p in policy.purposes if recipient_id in p.recipients for c in p.data_categories)


def holds_category(held: frozenset[str], category: str | None) -> bool:
    """True when `category` or one of its parents (`user.contact` covers `user.contact.email`) is held."""
    if not category:
        return False
    return any(category == h or category.startswith(h + ".") for h in held)


def field_category(policy: Policy, name: str) -> str | None:
    """The data category of a field name: an identity kind, else as the datasets declare it."""
    if name in KIND_CATEGORIES:
        return KIND_CATEGORIES[name]
    for dataset in policy.datasets:
        if name in dataset.fields:
            return dataset.fields[name]
    return None


def minimal_body(policy: Policy, recipient_id: str, event: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The body for one recipient, built from the execution's payload by keeping only what is needed.

    Accepted payload keys: `request_id`, `subject_id`, `changes` (rectification: a mapping field -> new
    value, or a list of `{"field", "value", "category"?}`), or the request's own details `kind` + `value`
    (+ `category`), `record_types` or `datasets` (erasure). Anything else is dropped on purpose.
    `event` may carry the `rights.` prefix the execution uses.
    """
    event = event.removeprefix("rights.")
    body: dict[str, Any] = {
        "schema": SCHEMA,
        "event": event,
        "request_id": str(payload.get("request_id") or ""),
        "subject_id": str(payload.get("subject_id") or ""),
    }
    if event == "rectification":
        held = recipient_categories(policy, recipient_id)
        fields: list[str] = []
        values: dict[str, Any] = {}
        changes = payload.get("changes")
        if changes is None and payload.get("kind"):
            changes = [
                {"field": payload["kind"], "value": payload.get("value"), "category": payload.get("category")}
            ]
        for name, value, category in _changes(policy, changes):
            fields.append(name)
            if holds_category(held, category):
                values[name] = value
        body["fields"] = sorted(set(fields))
        body["values"] = values
    else:
        kinds = payload.get("record_types") or payload.get("datasets") or []
        body["record_types"] = sorted({str(k) for k in kinds}) if isinstance(kinds, Sequence) else []
    return body


def _changes(policy: Policy, raw: Any) -> list[tuple[str, Any, str | None]]:
    if isinstance(raw, Mapping):
        return [(str(k), v, field_category(policy, str(k))) for k, v in raw.items()]
    found: list[tuple[str, Any, str | None]] = []
    for item in raw or []:
        if isinstance(item, Mapping) and item.get("field"):
            name = str(item["field"])
            found.append((name, item.get("value"), item.get("category") or field_category(policy, name)))
    return found


@dataclass
class WebhookNotifier:
    """`ProcessorNotifier` for the execution: queues one outbox row per recipient with a callback URL.

    Recipients without a `callback_url` are skipped (they are informed by other means the DPO records).
    """

    session: Session
    policy: Policy
    clock: Clock
    queued: list[str] = field(default_factory=list)

    def notify(self, recipient_id: str, event: str, payload: dict[str, Any]) -> None:
        recipient = self.policy.recipient(recipient_id)
        event = event.removeprefix("rights.")
        if event not in EVENTS or recipient is None or not recipient.callback_url:
            return
        now = self.clock.now()
        delivery_id = new_id()
        body = {"delivery_id": delivery_id, "occurred_at": now.isoformat()}
        body |= minimal_body(self.policy, recipient_id, event, payload)
        self.session.add(
            RightsWebhookDelivery(
                id=delivery_id,
                request_id=body["request_id"] or None,
                recipient_id=recipient_id,
                event=event,
                url=recipient.callback_url,
                body=json.dumps(body, sort_keys=True, separators=(",", ":")),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        self.session.flush()
        self.queued.append(delivery_id)

    def notify_processors(self, event: str, payload: dict[str, Any]) -> list[str]:
        """Queue the event for every recipient that declares a callback URL; return the delivery ids."""
        before = len(self.queued)
        for recipient in self.policy.recipients:
            if recipient.callback_url:
                self.notify(recipient.id, event, payload)
        return self.queued[before:]


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at 6 h, after the given number of failed attempts."""
    delay: timedelta = BASE_DELAY * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_DELAY)


def deliver_pending(
    session: Session,
    clock: Clock,
    http: HttpPoster,
    *,
    secret: str,
    max_attempts: int = MAX_ATTEMPTS,
    limit: int = 100,
) -> DeliveryReport:
    """Send every delivery that is due; record each attempt. Joins the caller's transaction.

    Call it outside the transaction that executed the request (a short one of its own), so that a slow
    processor never holds the database's write lock.
    """
    now = clock.now()
    due = session.scalars(
        select(RightsWebhookDelivery)
        .where(RightsWebhookDelivery.status == "pending", RightsWebhookDelivery.next_attempt_at <= now)
        .order_by(RightsWebhookDelivery.next_attempt_at, RightsWebhookDelivery.id)
        .limit(limit)
    ).all()
    delivered = retrying = failed = 0
    for row in due:
        status, error = _attempt(row, http, secret, now)
        row.attempts += 1
        row.last_status, row.last_error = status, error
        if status is not None and 200 <= status < 300:
            row.status, row.delivered_at = "delivered", now
            delivered += 1
        elif row.attempts >= max_attempts:
            row.status = "failed"
            failed += 1
            audit_service.record(
                session,
                actor_type="job",
                actor_id="rights.webhooks",
                action="rights.webhook_failed",
                record_type="rights_webhook_delivery",
                record_id=row.id,
                detail={"recipient": row.recipient_id, "attempts": row.attempts, "status": status or 0},
                clock=clock,
            )
        else:
            row.next_attempt_at = now + backoff(row.attempts)
            retrying += 1
    session.flush()
    return DeliveryReport(delivered=delivered, retrying=retrying, failed=failed)


def _attempt(
    row: RightsWebhookDelivery, http: HttpPoster, secret: str, now: datetime
) -> tuple[int | None, str | None]:
    body = row.body.encode("utf-8")
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "tillit-webhooks/1",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(webhook_key(secret, row.recipient_id), timestamp, body),
        "X-Tillit-Delivery": row.id,
    }
    try:
        status = http.post(row.url, body, headers)
    except (OSError, ValueError) as exc:
        return None, type(exc).__name__
    return status, None if 200 <= status < 300 else f"HTTP {status}"


@dataclass(frozen=True)
class DeliveryRead:
    id: str
    request_id: str | None
    recipient_id: str
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None


def deliveries(
    session: Session, *, request_id: str | None = None, status: str | None = None, limit: int = 200
) -> list[DeliveryRead]:
    """Deliveries for the console: of one request, or all given up (`status="failed"`)."""
    query = select(RightsWebhookDelivery).order_by(RightsWebhookDelivery.created_at.desc()).limit(limit)
    if request_id is not None:
        query = query.where(RightsWebhookDelivery.request_id == request_id)
    if status is not None:
        query = query.where(RightsWebhookDelivery.status == status)
    return [
        DeliveryRead(
            id=r.id,
            request_id=r.request_id,
            recipient_id=r.recipient_id,
            event=r.event,
            status=r.status,
            attempts=r.attempts,
            next_attempt_at=r.next_attempt_at,
            last_error=r.last_error,
            delivered_at=r.delivered_at,
        )
        for r in session.scalars(query)
    ]


def retry_now(session: Session, delivery_id: str, *, clock: Clock) -> None:
    """Put a given-up delivery back in the queue (the DPO fixed the processor's endpoint)."""
    row = session.get(RightsWebhookDelivery, delivery_id)
    if row is not None and row.status == "failed":
        row.status, row.attempts, row.next_attempt_at = "pending", 0, clock.now()
        session.flush()
