"""The SMTP mailer against a real local SMTP server."""

from __future__ import annotations

from typing import Any

import pytest

from tillit.core.mail import MailError, OutgoingMail, SmtpMailer


def test_mail_reaches_a_real_smtp_server(smtp_server: tuple[str, int, Any]) -> None:
    host, port, inbox = smtp_server
    mailer = SmtpMailer(host, port, "kundeservice@example.com")
    message_id = mailer.send(
        OutgoingMail(to="kari@example.com", subject="Koden din", text="123456", html="<p>123456</p>")
    )
    assert len(inbox.messages) == 1
    received = inbox.messages[0]
    assert received["To"] == "kari@example.com" and received["Message-ID"] == message_id
    assert "123456" in received.get_body(preferencelist=("plain",)).get_content()


def test_refused_connection_is_a_mail_error() -> None:
    with pytest.raises(MailError, match="could not hand"):
        SmtpMailer("127.0.0.1", 9, "x@example.com", timeout=2).send(
            OutgoingMail(to="a@example.com", subject="s", text="t")
        )
