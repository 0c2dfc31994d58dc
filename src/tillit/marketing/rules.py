"""Pure marketing logic: which purposes and channels a campaign may use, which identity reaches a
channel, which text a subject gets, and when a failed delivery is retried. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TypeVar

from tillit.core.errors import ValidationFailedError
from tillit.policy.i18n import N_
from tillit.policy.schema import Policy, Purpose

SEND_RECORD = "marketing_send"
"""The record kind of a send-log entry (see `tillit.policy.schema.RECORD_KINDS`)."""
SEND_LOG_UNHELD = "send_log_unheld"
"""Why the dispatcher refused a message: no purpose would hold its send-log entry."""

NO_ADDRESS = "no_address"
"""Dry-run reason: the purpose may use the channel, but the subject has no address on it."""

CHANNEL_ADDRESS: dict[str, str] = {
    "email": "email",
    "sms": "phone",
    "online_bank": "customer_number",
    "app": "customer_number",
}
"""Channels tillit can deliver on, and the identity kind that is the address on each: e-mail to the
address, SMS to the phone number, an online-bank or app message to the customer's inbox (customers only
have one when they have a customer number)."""

REASON_LABELS: dict[str, str] = {
    "granted": N_("consent given"),
    "legitimate_interest": N_("legitimate interest, no reservation"),
    "contract": N_("service message under the contract"),
    "no_consent": N_("no consent"),
    "withdrawn": N_("consent withdrawn"),
    "opted_out": N_("reserved against this channel"),
    "objected": N_("objected"),
    "restricted": N_("processing restricted"),
    "channel_not_declared": N_("channel not in the policy"),
    NO_ADDRESS: N_("no contact address for the channel"),
}
"""What the console shows for each reason code (English msgids; translated through the catalogues)."""

RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 5

T = TypeVar("T")


def check_campaign(policy: Policy, purpose: Purpose, kind: str, channel: str, languages: list[str]) -> None:
    """Refuse a campaign the policy does not allow, with a message saying why.

    A marketing campaign needs a direct-marketing purpose; a service campaign a purpose that is not
    marketing and does not rest on the person's choice (a contract, a legal obligation): that is what
    lets it reach those who opted out of marketing. The channel must be one the purpose declares and one
    tillit can deliver on; some purpose must keep the messages' send-log entries (`send_log_holders`), or
    they would be kept forever; the content must include the notice's default language, so everyone gets
    a text, and only languages the notice is in."""
    if kind == "marketing" and not purpose.direct_marketing:
        raise ValidationFailedError(
            f"purpose '{purpose.id}' is not a marketing purpose; a marketing campaign needs one",
            details={"purpose": purpose.id, "kind": kind},
        )
    if kind == "service" and (
        purpose.direct_marketing or purpose.legal_basis in ("consent", "legitimate_interests")
    ):
        raise ValidationFailedError(
            f"purpose '{purpose.id}' is marketing or rests on a choice; a service message needs a purpose "
            "such as a contract",
            details={"purpose": purpose.id, "kind": kind},
        )
    if channel not in purpose.channels:
        raise ValidationFailedError(
            f"purpose '{purpose.id}' does not use the channel '{channel}' "
            f"(its channels: {', '.join(purpose.channels) or 'none'})",
            details={"purpose": purpose.id, "channel": channel},
        )
    if channel not in CHANNEL_ADDRESS:
        raise ValidationFailedError(
            f"tillit cannot deliver on the channel '{channel}' "
            f"(deliverable: {', '.join(sorted(CHANNEL_ADDRESS))})",
            details={"channel": channel},
        )
    if not send_log_holders(policy, purpose.id):
        raise ValidationFailedError(
            f"no purpose keeps the send log of purpose '{purpose.id}': the policy must list "
            f"{SEND_RECORD} in the records of '{purpose.id}' or of a documentation purpose (legal "
            "obligation) before tillit may send for it",
            details={"purpose": purpose.id, "record_type": SEND_RECORD},
        )
    unknown = sorted(set(languages) - set(policy.languages))
    if unknown:
        raise ValidationFailedError(
            f"the notice is not in {', '.join(unknown)} (languages: {', '.join(policy.languages)})",
            details={"languages": unknown},
        )
    default = policy.organisation.default_language
    if default not in languages:
        raise ValidationFailedError(
            f"give the content in the default language '{default}' too", details={"language": default}
        )


def send_log_holders(policy: Policy, purpose_id: str) -> list[str]:
    """The purposes that may hold the send-log entry of a message sent for `purpose_id`, in policy order.

    Of the purposes that list `marketing_send` in their records: the campaign's own purpose (the bank
    keeps its marketing log 5 years), and documentation purposes, whose basis is a legal obligation
    (the telecom operator keeps the evidence of a consent's use 2 years). Never another marketing
    purpose: a campaign for one consent must not be kept alive by a consent it did not use. Empty means
    no purpose would hold the entry, and the message must not be sent."""
    return [
        p.id
        for p in policy.purposes_holding(SEND_RECORD)
        if p.id == purpose_id or p.legal_basis == "legal_obligation"
    ]


def pick_content(content: Mapping[str, T], language: str | None, default: str) -> T:
    """The subject's language if the campaign has it, else the default language's text."""
    if language is not None and language in content:
        return content[language]
    return content[default]


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off after the `attempts`-th failure: 1, 2, 4... minutes, at most an hour."""
    delay: timedelta = RETRY_BASE * (2 ** max(attempts - 1, 0))
    return min(delay, RETRY_CAP)


def short_error(exc: BaseException) -> str:
    """What the outbox keeps of a delivery failure: the exception's type and first line, never more
    than 200 characters (the ports promise not to put addresses in their messages)."""
    text = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return text[:200]
