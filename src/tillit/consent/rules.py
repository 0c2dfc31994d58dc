"""Pure consent logic: which actions a purpose accepts, what state an action leads to, and the decision.

No I/O and no clock. The service applies these to the ledger and the projection; the SQL that computes
audiences (`repository.audience_select`) mirrors `decide` and an integration test checks both agree.

The projection keeps one row per holder × purpose × channel (`*` = all channels) × scope. An event for
all channels rewrites every row of that purpose (and the `*` row), an event for one channel only that
channel's row; so the most recent decision that covers a channel always wins, and a decision is read as
"the channel's own row if there is one, else the `*` row" (`effective_state`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from tillit.consent.schemas import Action, CookieCategory, Decision, State
from tillit.core.errors import ValidationFailedError
from tillit.policy.schema import Policy, Purpose

ACTION_STATE: dict[Action, State] = {
    "grant": "granted",
    "withdraw": "withdrawn",
    "opt_out": "opted_out",
    "opt_in": "opted_in",
    "object": "objected",
}
STOPPED_STATES: frozenset[str] = frozenset({"withdrawn", "opted_out", "objected"})
"""States in which the consent record's `withdrawn_at` fact is set (the person said stop)."""

# Decision reasons: stable codes, shown by marketing's dry run and returned by the API.
GRANTED = "granted"
NO_CONSENT = "no_consent"
WITHDRAWN = "withdrawn"
OPTED_OUT = "opted_out"
OBJECTED = "objected"
RESTRICTED = "restricted"
LEGITIMATE_INTEREST = "legitimate_interest"
CHANNEL_NOT_DECLARED = "channel_not_declared"
ALLOWED_REASONS: frozenset[str] = frozenset(
    {GRANTED, LEGITIMATE_INTEREST, "contract", "legal_obligation", "vital_interests", "public_task"}
)

_CONSENT_ACTIONS: frozenset[str] = frozenset({"grant", "withdraw"})
_LI_ACTIONS: frozenset[str] = frozenset({"opt_out", "opt_in", "object"})

COOKIE_DATA_CATEGORY = "user.device.cookie_id"
COOKIE_CATEGORY_RECIPIENTS: dict[str, tuple[str, ...]] = {
    "analytics": ("google_analytics",),
    "advertising": ("google_ads", "bing_ads"),
    "support_chat": ("intercom",),
}
"""The banner's optional categories and the recipients (cookie vendors) each one switches on."""
COOKIE_CATEGORIES: tuple[str, ...] = ("necessary", "analytics", "advertising", "support_chat")


def opt_out_channels(purpose: Purpose) -> list[str]:
    """The channels a subject may reserve against: `opt_out_channels`, or all channels when empty."""
    return list(purpose.opt_out_channels or purpose.channels)


def check_action(purpose: Purpose, action: Action, channel: str | None) -> None:
    """Refuse an action that makes no sense for the purpose's legal basis, with a message saying why.

    Consent purposes are granted and withdrawn (withdrawal is always possible, Art. 7(3)). Legitimate
    interest purposes are opted out of per channel (only where the policy offers `opt_out`, and only on its
    reservable channels), opted back into, or objected to as a whole (where it offers `objection`).
    Other bases (contract, legal obligation...) do not rest on the person's choice at all.
    """
    basis = purpose.legal_basis
    if channel is not None and channel not in purpose.channels:
        raise ValidationFailedError(
            f"purpose '{purpose.id}' does not use the channel '{channel}' "
            f"(its channels: {', '.join(purpose.channels) or 'none; give no channel'})",
            details={"purpose": purpose.id, "channel": channel},
        )
    if basis == "consent":
        if action not in _CONSENT_ACTIONS:
            raise ValidationFailedError(
                f"purpose '{purpose.id}' rests on consent: it can be granted or withdrawn, not '{action}'",
                details={"purpose": purpose.id, "action": action},
            )
        return
    if basis != "legitimate_interests":
        raise ValidationFailedError(
            f"purpose '{purpose.id}' rests on {basis.replace('_', ' ')}, not on the person's choice; "
            "there is nothing to grant, withdraw or opt out of",
            details={"purpose": purpose.id, "action": action},
        )
    if action not in _LI_ACTIONS:
        raise ValidationFailedError(
            f"purpose '{purpose.id}' rests on legitimate interests: nobody grants or withdraws it; "
            "use opt_out, opt_in or object",
            details={"purpose": purpose.id, "action": action},
        )
    if action == "object":
        if not purpose.objection:
            raise ValidationFailedError(
                f"the policy offers no objection to purpose '{purpose.id}'",
                details={"purpose": purpose.id, "action": action},
            )
        if channel is not None:
            raise ValidationFailedError(
                "an objection is to the whole purpose; give no channel",
                details={"purpose": purpose.id, "channel": channel},
            )
        return
    if action == "opt_out" and not purpose.opt_out:
        raise ValidationFailedError(
            f"the policy offers no opt-out for purpose '{purpose.id}'"
            + ("; object to it instead" if purpose.objection else ""),
            details={"purpose": purpose.id, "action": action},
        )
    reservable = opt_out_channels(purpose)
    if channel is not None and channel not in reservable:
        raise ValidationFailedError(
            f"the channel '{channel}' cannot be reserved against for purpose '{purpose.id}' "
            f"(reservable: {', '.join(reservable) or 'none'})",
            details={"purpose": purpose.id, "channel": channel},
        )
    if action == "opt_in" and not (purpose.opt_out or purpose.objection):
        raise ValidationFailedError(
            f"purpose '{purpose.id}' offers no opt-out or objection to take back",
            details={"purpose": purpose.id, "action": action},
        )


def effective_state(own: str | None, all_channels: str | None) -> str | None:
    """The state that decides for a channel: the channel's own row, else the all-channels row."""
    return own if own is not None else all_channels


def decide(
    purpose: Purpose, channel: str | None, *, restricted: bool, own: str | None, all_channels: str | None
) -> Decision:
    """May `purpose` use `channel` now, given the subject's projection rows for it?

    Restriction (Art. 18) refuses every use; storage goes on elsewhere. A channel the purpose does not
    declare is refused. Consent needs a current grant; legitimate interests hold unless the person opted
    out of the channel (or of all channels) or objected. Other bases do not depend on a choice.
    """
    if restricted:
        return Decision(allowed=False, reason=RESTRICTED)
    if channel is not None and channel not in purpose.channels:
        return Decision(allowed=False, reason=CHANNEL_NOT_DECLARED)
    state = effective_state(own, all_channels)
    typed: State | None = state if state in ACTION_STATE.values() else None  # type: ignore[assignment]
    if purpose.legal_basis == "consent":
        if state == "granted":
            return Decision(allowed=True, reason=GRANTED, state=typed)
        return Decision(allowed=False, reason=NO_CONSENT if state is None else WITHDRAWN, state=typed)
    if purpose.legal_basis == "legitimate_interests":
        if state == "objected":
            return Decision(allowed=False, reason=OBJECTED, state=typed)
        if state == "opted_out":
            return Decision(allowed=False, reason=OPTED_OUT, state=typed)
        return Decision(allowed=True, reason=LEGITIMATE_INTEREST, state=typed)
    return Decision(allowed=True, reason=purpose.legal_basis, state=typed)


def hold_end_reason(purpose: Purpose, action: Action, states_after: Iterable[str]) -> str | None:
    """Whether this event ends the purpose's holds on the subject's records, and with which reason.

    A withdrawal ends them once no channel of the consent is granted any more (withdrawing e-mail while
    SMS stays granted keeps the purpose alive); an objection always does. Opting out of a channel does not:
    it stops contact on that channel, not the processing.
    """
    if action == "object":
        return "objection"
    if action == "withdraw" and purpose.legal_basis == "consent":
        return None if any(s == "granted" for s in states_after) else "withdrawal"
    return None


def consent_record_facts(
    *, created_at: datetime, state: str, last_used_at: datetime | None, withdrawn_at: datetime | None
) -> dict[str, object]:
    """The facts a projection row offers retention rules as a `consent_record` (see RECORD_FACTS)."""
    return {
        "created_at": created_at,
        "state": state,
        "last_used_at": last_used_at,
        "withdrawn_at": withdrawn_at,
    }


def default_notice_text(purpose: Purpose, language: str) -> str:
    """What the privacy centre shows for a purpose: its name and description in that language."""
    name = purpose.name.get(language) or next(iter(purpose.name.values()))
    description = purpose.description.get(language) or next(iter(purpose.description.values()))
    return f"{name}\n\n{description}"


def notice_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cookie_purpose(policy: Policy) -> Purpose | None:
    """The consent purpose for website cookies: consent-based, on the web, processing cookie ids."""
    for purpose in policy.purposes:
        if (
            purpose.legal_basis == "consent"
            and "web" in purpose.channels
            and COOKIE_DATA_CATEGORY in purpose.data_categories
        ):
            return purpose
    return None


def cookie_categories(policy: Policy) -> list[CookieCategory]:
    """The banner's categories for this policy: necessary first, then each optional category whose
    vendors the cookie purpose names. Empty when the policy asks no cookie consent."""
    purpose = cookie_purpose(policy)
    if purpose is None:
        return []
    categories = [CookieCategory(id="necessary", purpose=None, recipients=[])]
    for category, vendors in COOKIE_CATEGORY_RECIPIENTS.items():
        named = [r for r in vendors if r in purpose.recipients]
        if named:
            categories.append(CookieCategory(id=category, purpose=purpose.id, recipients=named))
    return categories
