"""Helpers for the marketing tests: customers with contact addresses, events, campaigns, fake ports."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from tests.conftest import TEST_SECRET
from tillit.audit.schemas import Actor
from tillit.consent import service as consent_service
from tillit.consent.schemas import ConsentEventCreate
from tillit.core.mail import SmtpMailer
from tillit.marketing import rules, service
from tillit.marketing.ports import InboxMessage, OutgoingSms, Ports
from tillit.marketing.schemas import CampaignCreate, CampaignRead, MessageContent, Segment
from tillit.policy.schema import Policy
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

STAFF = Actor.staff("marketing.maria")
_numbers = itertools.count(1)
PHONE_PREFIX = {"NO": "+47912", "DK": "+45201"}


def customer(
    rt: Runtime, *, email: bool = True, phone: bool = True, number: bool = True, language: str = "en"
) -> str:
    """A customer with a fresh e-mail, phone and customer number (each left out when told)."""
    n = next(_numbers)
    region = rt.policy.organisation.country
    identifiers: dict[str, str] = {}
    if email:
        identifiers["email"] = f"customer{n}@example.com"
    if phone:
        identifiers["phone"] = f"{PHONE_PREFIX[region]}{n:05d}"
    if number:
        identifiers["customer_number"] = f"C{n:07d}"
    with rt.uow.begin() as session:
        return subjects_service.create_subject(
            session,
            language=language,
            identifiers=identifiers,
            clock=rt.clock,
            default_region=region,
            secret=TEST_SECRET,
        ).id


def record(rt: Runtime, subject_id: str, purpose: str, action: str, channel: str | None = None) -> None:
    data = ConsentEventCreate(
        subject_id=subject_id,
        purpose=purpose,
        action=action,
        channel=channel,
        source="privacy_centre",
        actor_type="customer",
        actor_id=subject_id,
    )
    with rt.uow.begin() as session:
        consent_service.record_event(session, rt.policy, data, clock=rt.clock)


def campaign(
    rt: Runtime, purpose: str, channel: str, *, kind: str = "marketing", **segment: object
) -> CampaignRead:
    default = rt.policy.organisation.default_language
    content = {
        default: MessageContent(subject=f"Offer ({default})", body=f"Hello from {purpose} ({default})")
    }
    if "en" in rt.policy.languages:
        content["en"] = MessageContent(subject="Offer (en)", body=f"Hello from {purpose} (en)")
    data = CampaignCreate(
        name=f"{purpose} on {channel}",
        kind=kind,
        purpose=purpose,
        channel=channel,
        segment=Segment.model_validate(segment) if segment else Segment(),
        content=content,
    )
    with rt.uow.begin() as session:
        return service.create_campaign(session, rt.policy, data, actor=STAFF, clock=rt.clock)


def reasons(rt: Runtime, created: CampaignRead) -> dict[str, str]:
    """subject id -> reason for everyone in the campaign's segment, decided now."""
    with rt.uow.read() as session:
        return {s: r for s, r in session.execute(service.audience_select(rt.policy, created))}


@dataclass
class FakeSms:
    """A fake of our own SMS port: keeps what it was given."""

    sent: list[OutgoingSms] = field(default_factory=list)

    def send(self, sms: OutgoingSms) -> str:
        self.sent.append(sms)
        return f"sms-{len(self.sent)}"


@dataclass
class FakeInbox:
    sent: list[InboxMessage] = field(default_factory=list)

    def send(self, message: InboxMessage) -> str:
        self.sent.append(message)
        return f"inbox-{len(self.sent)}"


def ports(host: str = "127.0.0.1", port: int = 1, sms: FakeSms | None = None) -> Ports:
    return Ports(
        mailer=SmtpMailer(host, port, "marketing@example.com", timeout=5),
        sms=sms or FakeSms(),
        inbox=FakeInbox(),
    )


def without_send_log(policy: Policy) -> Policy:
    """The policy with `marketing_send` struck from every purpose's records: what the lint rule
    `send-log-unheld` refuses, as a deployment that skipped the lint would run it."""
    purposes = [
        p.model_copy(update={"records": [r for r in p.records if r != rules.SEND_RECORD]})
        for p in policy.purposes
    ]
    return policy.model_copy(update={"purposes": purposes})


def send_campaign(rt: Runtime, offer: CampaignRead) -> int:
    """Send a campaign as the marketing staff member; how many messages were queued."""
    with rt.uow.begin() as session:
        return service.send(session, rt.policy, offer.id, actor=STAFF, clock=rt.clock).queued
