"""Projection rules: which actions a purpose accepts and what a subject's rows decide."""

from __future__ import annotations

import pytest

from tillit.consent import rules
from tillit.core.errors import ValidationFailedError
from tillit.policy.loader import load_pack
from tillit.policy.schema import Policy, Purpose

BANK: Policy = load_pack("bank").policy
SAAS: Policy = load_pack("saas").policy


def p(purpose_id: str) -> Purpose:
    return BANK.purpose(purpose_id)


@pytest.mark.parametrize(
    ("purpose", "action", "channel"),
    [
        ("personalised_marketing", "grant", None),
        ("personalised_marketing", "withdraw", "app"),
        ("email_sms_marketing", "grant", "sms"),
        ("simple_marketing", "opt_out", "sms"),
        ("simple_marketing", "opt_in", "letter"),
        ("simple_marketing", "object", None),
        ("customer_matching", "opt_out", None),
        ("customer_matching", "opt_out", "social"),
        ("chatbot_improvement", "object", None),
        ("group_sharing", "grant", None),
    ],
)
def test_actions_that_fit_the_basis_are_accepted(purpose: str, action: str, channel: str | None) -> None:
    rules.check_action(p(purpose), action, channel)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("purpose", "action", "channel", "says"),
    [
        ("simple_marketing", "grant", None, "legitimate interests"),
        ("personalised_marketing", "opt_out", None, "rests on consent"),
        ("simple_marketing", "opt_out", "app", "cannot be reserved against"),
        ("simple_marketing", "opt_out", "fax", "does not use the channel"),
        ("simple_marketing", "object", "sms", "whole purpose"),
        ("chatbot_improvement", "opt_out", None, "no opt-out"),
        ("customer_service", "grant", None, "contract"),
        ("group_sharing", "grant", "email", "does not use the channel"),
    ],
)
def test_actions_that_make_no_sense_are_refused_with_a_reason(
    purpose: str, action: str, channel: str | None, says: str
) -> None:
    with pytest.raises(ValidationFailedError, match=says):
        rules.check_action(p(purpose), action, channel)  # type: ignore[arg-type]


def test_consent_needs_a_grant_for_the_channel_or_all_channels() -> None:
    pm = p("email_sms_marketing")
    assert rules.decide(pm, "sms", restricted=False, own=None, all_channels=None).reason == "no_consent"
    assert rules.decide(pm, "sms", restricted=False, own=None, all_channels="granted").allowed
    assert rules.decide(pm, "sms", restricted=False, own="granted", all_channels=None).allowed
    withdrawn = rules.decide(pm, "sms", restricted=False, own="withdrawn", all_channels="granted")
    assert (withdrawn.allowed, withdrawn.reason) == (False, "withdrawn")
    assert rules.decide(pm, "sms", restricted=False, own="granted", all_channels="withdrawn").allowed


def test_legitimate_interest_holds_unless_opted_out_or_objected() -> None:
    sm = p("simple_marketing")
    assert rules.decide(sm, "sms", restricted=False, own=None, all_channels=None).allowed
    assert rules.decide(sm, "sms", restricted=False, own="opted_out", all_channels=None).reason == "opted_out"
    assert (
        rules.decide(sm, "email", restricted=False, own=None, all_channels="opted_out").reason == "opted_out"
    )
    assert rules.decide(sm, "email", restricted=False, own=None, all_channels="objected").reason == "objected"
    assert rules.decide(sm, "email", restricted=False, own="opted_in", all_channels="objected").allowed


def test_restriction_and_undeclared_channels_refuse_everything() -> None:
    for purpose in ("simple_marketing", "personalised_marketing", "customer_service"):
        d = rules.decide(p(purpose), None, restricted=True, own=None, all_channels="granted")
        assert (d.allowed, d.reason) == (False, "restricted")
    assert rules.decide(
        p("simple_marketing"), "chat", restricted=False, own=None, all_channels=None
    ).reason == ("channel_not_declared")
    assert rules.decide(p("customer_service"), "chat", restricted=False, own=None, all_channels=None).allowed


def test_holds_end_on_full_withdrawal_and_on_objection_only() -> None:
    pm = p("email_sms_marketing")
    assert rules.hold_end_reason(pm, "withdraw", ["withdrawn", "granted"]) is None
    assert rules.hold_end_reason(pm, "withdraw", ["withdrawn", "withdrawn"]) == "withdrawal"
    assert rules.hold_end_reason(p("simple_marketing"), "opt_out", ["opted_out"]) is None
    assert rules.hold_end_reason(p("simple_marketing"), "object", ["objected"]) == "objection"


def test_cookie_categories_follow_the_saas_cookie_purpose() -> None:
    categories = rules.cookie_categories(SAAS)
    assert [c.id for c in categories] == ["necessary", "analytics", "advertising", "support_chat"]
    assert {c.purpose for c in categories[1:]} == {"website_cookies"}
    assert categories[0].purpose is None
    assert rules.cookie_categories(BANK) == []


def test_notice_text_and_hash_are_stable() -> None:
    text = rules.default_notice_text(p("group_sharing"), "en")
    assert text.startswith("Sharing customer information within the group\n\n")
    assert rules.notice_sha256(text) == rules.notice_sha256(str(text))
    assert len(rules.notice_sha256(text)) == 64
