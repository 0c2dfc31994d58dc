"""The bank's and the telecom operator's marketing promises, shown on the audience computed at send time
(both backends): consent needs a current grant per purpose and channel, a reservation excludes only its
channel, an objection everything, restriction excludes, no address excludes, service messages are not
marketing. Each exclusion carries its reason, as the dry run reports it."""

from __future__ import annotations

import pytest

from tests.integration.marketing.helpers import STAFF, campaign, customer, reasons, record
from tillit.core.errors import ConflictError, ValidationFailedError
from tillit.marketing import service
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service


def test_personalised_marketing_only_with_a_current_consent(runtime: Runtime) -> None:
    granted, never, withdrawn = customer(runtime), customer(runtime), customer(runtime)
    record(runtime, granted, "personalised_marketing", "grant")
    record(runtime, withdrawn, "personalised_marketing", "grant")
    record(runtime, withdrawn, "personalised_marketing", "withdraw")
    offer = campaign(runtime, "personalised_marketing", "online_bank")
    found = reasons(runtime, offer)
    assert (found[granted], found[never], found[withdrawn]) == ("granted", "no_consent", "withdrawn")
    with runtime.uow.begin() as session:
        assert service.allowed_subject_ids(session, runtime.policy, offer) == [granted]


def test_offers_by_email_and_sms_need_consent_for_each_channel(runtime: Runtime) -> None:
    email_only, both, sms_withdrawn = customer(runtime), customer(runtime), customer(runtime)
    record(runtime, email_only, "email_sms_marketing", "grant", "email")
    record(runtime, both, "email_sms_marketing", "grant")
    record(runtime, sms_withdrawn, "email_sms_marketing", "grant")
    record(runtime, sms_withdrawn, "email_sms_marketing", "withdraw", "sms")
    by_email = reasons(runtime, campaign(runtime, "email_sms_marketing", "email"))
    by_sms = reasons(runtime, campaign(runtime, "email_sms_marketing", "sms"))
    assert [by_email[s] for s in (email_only, both, sms_withdrawn)] == ["granted"] * 3
    assert [by_sms[s] for s in (email_only, both, sms_withdrawn)] == ["no_consent", "granted", "withdrawn"]


def test_simpler_marketing_respects_an_opt_out_on_that_channel_only(runtime: Runtime) -> None:
    quiet, reserved_sms, reserved_all = customer(runtime), customer(runtime), customer(runtime)
    record(runtime, reserved_sms, "simple_marketing", "opt_out", "sms")
    record(runtime, reserved_all, "simple_marketing", "opt_out")
    by_sms = reasons(runtime, campaign(runtime, "simple_marketing", "sms"))
    by_email = reasons(runtime, campaign(runtime, "simple_marketing", "email"))
    assert [by_sms[s] for s in (quiet, reserved_sms, reserved_all)] == [
        "legitimate_interest",
        "opted_out",
        "opted_out",
    ]
    assert [by_email[s] for s in (quiet, reserved_sms, reserved_all)] == [
        "legitimate_interest",
        "legitimate_interest",
        "opted_out",
    ]


def test_an_objection_excludes_every_channel(runtime: Runtime) -> None:
    objector = customer(runtime)
    record(runtime, objector, "simple_marketing", "object")
    for channel in ("email", "sms", "online_bank"):
        assert reasons(runtime, campaign(runtime, "simple_marketing", channel))[objector] == "objected"


def test_restriction_excludes_even_with_consent(runtime: Runtime) -> None:
    restricted = customer(runtime)
    record(runtime, restricted, "email_sms_marketing", "grant")
    with runtime.uow.begin() as session:
        subjects_service.set_restricted(session, restricted, True)
    assert reasons(runtime, campaign(runtime, "email_sms_marketing", "email"))[restricted] == "restricted"


def test_no_contact_address_for_the_channel_excludes(runtime: Runtime) -> None:
    no_phone, no_email = customer(runtime, phone=False), customer(runtime, email=False)
    by_sms = reasons(runtime, campaign(runtime, "simple_marketing", "sms"))
    by_email = reasons(runtime, campaign(runtime, "simple_marketing", "email"))
    assert (by_sms[no_phone], by_sms[no_email]) == ("no_address", "legitimate_interest")
    assert (by_email[no_phone], by_email[no_email]) == ("legitimate_interest", "no_address")


def test_the_segment_filters_before_consent_is_asked(runtime: Runtime) -> None:
    norwegian, english = customer(runtime, language="nb"), customer(runtime, language="en")
    only_nb = reasons(runtime, campaign(runtime, "simple_marketing", "email", languages=["nb"]))
    assert norwegian in only_nb and english not in only_nb


def test_dry_run_counts_every_reason_with_a_sample(runtime: Runtime) -> None:
    granted, never, withdrawn = customer(runtime), customer(runtime), customer(runtime)
    unreachable = customer(runtime, email=False)
    for subject in (granted, withdrawn, unreachable):
        record(runtime, subject, "email_sms_marketing", "grant")
    record(runtime, withdrawn, "email_sms_marketing", "withdraw")
    offer = campaign(runtime, "email_sms_marketing", "email")
    with runtime.uow.begin() as session:
        result = service.dry_run(session, runtime.policy, offer.id, actor=STAFF, clock=runtime.clock)
    assert (result.candidates, result.included) == (4, 1)
    assert result.excluded == {"no_address": 1, "no_consent": 1, "withdrawn": 1}
    assert {(s.subject_id, s.reason) for s in result.sample} == {
        (never, "no_consent"),
        (withdrawn, "withdrawn"),
        (unreachable, "no_address"),
    }


def test_sending_queues_the_audience_once(runtime: Runtime) -> None:
    granted = customer(runtime)
    customer(runtime)  # never consented
    record(runtime, granted, "email_sms_marketing", "grant")
    offer = campaign(runtime, "email_sms_marketing", "sms")
    with runtime.uow.begin() as session:
        sent = service.send(session, runtime.policy, offer.id, actor=STAFF, clock=runtime.clock)
    assert (sent.queued, sent.excluded) == (1, {"no_consent": 1})
    with runtime.uow.begin() as session:
        assert [o.subject_id for o in service.outbox(session, offer.id)] == [granted]
        with pytest.raises(ConflictError):
            service.send(session, runtime.policy, offer.id, actor=STAFF, clock=runtime.clock)


@pytest.mark.parametrize(
    ("purpose", "channel", "kind"),
    [
        ("customer_relationship", "online_bank", "marketing"),  # not a marketing purpose
        ("simple_marketing", "online_bank", "service"),  # marketing dressed as a service message
        ("email_sms_marketing", "online_bank", "marketing"),  # channel the purpose does not declare
        ("simple_marketing", "letter", "marketing"),  # a channel tillit cannot deliver on
    ],
)
def test_campaigns_the_policy_does_not_allow_are_refused(
    runtime: Runtime, purpose: str, channel: str, kind: str
) -> None:
    with pytest.raises(ValidationFailedError):
        campaign(runtime, purpose, channel, kind=kind)


def test_telecom_marketing_needs_consent_but_service_messages_reach_those_who_opted_out(
    telecom: Runtime,
) -> None:
    consented, withdrawn, never = customer(telecom), customer(telecom), customer(telecom)
    record(telecom, consented, "marketing", "grant")
    record(telecom, withdrawn, "marketing", "grant")
    record(telecom, withdrawn, "marketing", "withdraw")
    offers = reasons(telecom, campaign(telecom, "marketing", "sms"))
    assert [offers[s] for s in (consented, withdrawn, never)] == ["granted", "withdrawn", "no_consent"]
    notices = reasons(telecom, campaign(telecom, "service_messages", "sms", kind="service"))
    assert [notices[s] for s in (consented, withdrawn, never)] == ["contract"] * 3
    with pytest.raises(ValidationFailedError):
        campaign(telecom, "marketing", "sms", kind="service")
