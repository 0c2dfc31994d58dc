"""Pure campaign rules over the real bank and telecom policies: which purpose, kind, channel and content a
campaign may have, the content a subject gets, and the retry back-off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.marketing.helpers import without_send_log
from tillit.core.errors import ValidationFailedError
from tillit.marketing import rules
from tillit.policy.loader import load_pack
from tillit.policy.schema import Policy

BANK = load_pack("bank").policy
TELECOM = load_pack("telecom").policy


@pytest.mark.parametrize(
    ("policy", "purpose", "kind", "channel"),
    [
        (BANK, "personalised_marketing", "marketing", "online_bank"),
        (BANK, "email_sms_marketing", "marketing", "sms"),
        (BANK, "simple_marketing", "marketing", "email"),
        (TELECOM, "marketing", "marketing", "email"),
        (TELECOM, "service_messages", "service", "sms"),
    ],
)
def test_campaigns_the_policies_allow(policy: Policy, purpose: str, kind: str, channel: str) -> None:
    rules.check_campaign(
        policy, policy.purpose(purpose), kind, channel, [policy.organisation.default_language]
    )


@pytest.mark.parametrize(
    ("purpose", "kind", "channel", "languages", "says"),
    [
        ("customer_relationship", "marketing", "online_bank", ["nb"], "not a marketing purpose"),
        ("simple_marketing", "service", "email", ["nb"], "a service message needs"),
        ("personalised_marketing", "marketing", "email", ["nb"], "does not use the channel"),
        ("simple_marketing", "marketing", "letter", ["nb"], "cannot deliver"),
        ("simple_marketing", "marketing", "email", ["en"], "default language 'nb'"),
        ("simple_marketing", "marketing", "email", ["nb", "fi"], "not in fi"),
    ],
)
def test_campaigns_the_bank_policy_refuses(
    purpose: str, kind: str, channel: str, languages: list[str], says: str
) -> None:
    with pytest.raises(ValidationFailedError, match=says):
        rules.check_campaign(BANK, BANK.purpose(purpose), kind, channel, languages)


def test_a_service_message_may_not_rest_on_a_choice() -> None:
    with pytest.raises(ValidationFailedError):
        rules.check_campaign(TELECOM, TELECOM.purpose("marketing"), "service", "sms", ["da"])


@pytest.mark.parametrize(
    ("policy", "purpose", "holders"),
    [
        # the bank: each marketing purpose keeps its own campaigns' log, never another's
        (BANK, "email_sms_marketing", ["email_sms_marketing"]),
        (BANK, "simple_marketing", ["simple_marketing"]),
        (BANK, "personalised_marketing", ["personalised_marketing"]),
        (BANK, "customer_relationship", []),
        # the telecom operator: the documentation purpose (legal obligation) keeps every entry
        (TELECOM, "marketing", ["consent_documentation"]),
        (TELECOM, "service_messages", ["consent_documentation"]),
    ],
)
def test_who_holds_a_send_log_entry(policy: Policy, purpose: str, holders: list[str]) -> None:
    assert rules.send_log_holders(policy, purpose) == holders


def test_a_campaign_whose_send_log_no_purpose_keeps_is_refused() -> None:
    broken = without_send_log(TELECOM)
    assert rules.send_log_holders(broken, "marketing") == []
    with pytest.raises(ValidationFailedError, match="no purpose keeps the send log of purpose 'marketing'"):
        rules.check_campaign(broken, broken.purpose("marketing"), "marketing", "sms", ["da"])
    with pytest.raises(ValidationFailedError, match="no purpose keeps the send log"):
        rules.check_campaign(BANK, BANK.purpose("customer_relationship"), "service", "online_bank", ["nb"])


def test_content_in_the_subjects_language_else_the_default() -> None:
    content = {"nb": "hei", "en": "hello"}
    assert rules.pick_content(content, "en", "nb") == "hello"
    assert rules.pick_content(content, "sv", "nb") == "hei"
    assert rules.pick_content(content, None, "nb") == "hei"


def test_retry_back_off_doubles_up_to_an_hour() -> None:
    assert [rules.retry_delay(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert rules.retry_delay(20) == timedelta(hours=1)


def test_a_short_error_keeps_the_type_and_first_line_only() -> None:
    error = rules.short_error(RuntimeError("refused\nsecond line with more"))
    assert error == "RuntimeError: refused"
    assert len(rules.short_error(RuntimeError("x" * 500))) == 200


def test_every_reason_has_a_label() -> None:
    from tillit.consent import rules as consent_rules

    codes = {
        consent_rules.GRANTED,
        consent_rules.NO_CONSENT,
        consent_rules.WITHDRAWN,
        consent_rules.OPTED_OUT,
        consent_rules.OBJECTED,
        consent_rules.RESTRICTED,
        consent_rules.LEGITIMATE_INTEREST,
        consent_rules.CHANNEL_NOT_DECLARED,
        rules.NO_ADDRESS,
    }
    assert codes <= set(rules.REASON_LABELS)
