"""Delivery ports besides e-mail (`tillit.core.mail.Mailer`): SMS and the online-bank/app inbox.

Each is a small Protocol so a deployment plugs in its SMS gateway or message centre, and tests use a
fake of our own port (never a mock of a vendor library). The dev implementations only log that a
message went out, with its length: never the number or the text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from tillit.config import Settings
from tillit.core.ids import new_id
from tillit.core.mail import Mailer, SmtpMailer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingSms:
    to: str  # E.164
    text: str


@dataclass(frozen=True)
class InboxMessage:
    customer_number: str
    subject: str
    text: str


class DeliveryError(Exception):
    """The gateway refused or could not take the message; the dispatcher retries later."""


class SmsSender(Protocol):
    def send(self, sms: OutgoingSms) -> str:
        """Send one SMS; return the gateway's message id. Raise `DeliveryError` on failure."""
        ...


class InboxSender(Protocol):
    def send(self, message: InboxMessage) -> str:
        """Put one message in the customer's online-bank/app inbox; return its id."""
        ...


class LoggingSmsSender:
    """Development SMS port: logs that an SMS would have gone out and sends nothing."""

    def send(self, sms: OutgoingSms) -> str:
        message_id = f"sms-{new_id()}"
        log.info("sms not sent (development port)", extra={"message_id": message_id, "length": len(sms.text)})
        return message_id


class LoggingInboxSender:
    """Development inbox port: logs that a message would have been placed and stores nothing."""

    def send(self, message: InboxMessage) -> str:
        message_id = f"inbox-{new_id()}"
        log.info("inbox message not placed (development port)", extra={"message_id": message_id})
        return message_id


@dataclass(frozen=True)
class Ports:
    """Where the dispatcher delivers, per channel."""

    mailer: Mailer
    sms: SmsSender
    inbox: InboxSender


def default_ports(settings: Settings) -> Ports:
    """E-mail through the configured SMTP server; SMS and inbox through the development ports until a
    deployment plugs in its gateway."""
    mailer = SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )
    return Ports(mailer=mailer, sms=LoggingSmsSender(), inbox=LoggingInboxSender())
