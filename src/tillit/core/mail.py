"""Sending e-mail: a small port with an SMTP implementation (stdlib `smtplib`).

Domains take a `Mailer` so tests can run a real local SMTP server (aiosmtpd) instead of a mock, and so a
deployment can swap the transport. Only the message leaves; callers decide what it may contain.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> str:
        """Send one message; return its Message-ID. Raise `MailError` when the server refuses it."""
        ...


class MailError(Exception):
    """The mail could not be handed to the server (connection refused, recipient rejected...)."""


class SmtpMailer:
    """Hands each message to an SMTP server; one connection per call keeps it simple and stateless."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def send(self, mail: OutgoingMail) -> str:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message_id = make_msgid(domain=self.sender.rpartition("@")[2] or "localhost")
        message["Message-ID"] = message_id
        for name, value in mail.headers:
            message[name] = value
        message.set_content(mail.text)
        if mail.html:
            message.add_alternative(mail.html, subtype="html")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"could not hand the message to {self.host}:{self.port}: {type(exc).__name__}"
            ) from None
        return message_id
