"""Tables of intake and processor notification: e-mail verification codes and the webhook outbox.

Kept apart from `models.py` (the requests themselves, owned by the rights core) because they belong to
the edges of the domain: `verification.py` owns `rights_verification`, `webhooks.py` owns
`rights_webhook_delivery`, and no other module reads them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base


class RightsVerification(Base):
    """One one-time code sent to the e-mail address given on the public form.

    The code itself is never stored: only an HMAC of it keyed with a key derived from the deployment
    secret and bound to this row's id, so a leaked table reveals nothing and a hash cannot be replayed on
    another row. The address is stored encrypted (it is needed once more, to find the subject after the
    code is confirmed) and as a keyed hash (to rate-limit per address without decrypting).
    """

    __tablename__ = "rights_verification"
    __table_args__ = (Index("ix_rights_verification_email_hash_created_at", "email_hash", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    email_hash: Mapped[str] = mapped_column(String(64))
    email_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    code_hash: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    """`pending`, `confirmed`, `unmatched` (code right, no subject with that e-mail), `locked`."""


class RightsWebhookDelivery(Base):
    """One webhook to one processor, persisted before it is sent (an outbox), so a crash between the
    execution of a request and the HTTP call loses nothing: `webhooks.deliver_pending` picks it up.

    `body` is the exact JSON that is signed and sent, so every retry carries the same bytes and the
    same signature input; it holds ids and field names only (see `webhooks.py`)."""

    __tablename__ = "rights_webhook_delivery"
    __table_args__ = (Index("ix_rights_webhook_delivery_status_next", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(36), index=True)
    recipient_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    """`pending`, `delivered`, `failed` (gave up after the last attempt)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(200))
    last_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
