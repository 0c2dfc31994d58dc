"""The advisor console's authorisation: who may open which conversation, and through which purpose.

Two questions, kept apart on purpose:

1. *May this staff member open this conversation at all?* (`may_open`) An advisor may open a
   conversation that waits in the queue (to take it) or that is theirs; a supervisor
   (`conversation.read_all`) may open any. Everything else is answered with 404, exactly as for an id
   that does not exist, so guessing ids reveals nothing.
2. *Through which purpose is the content read?* (`reading_purpose`) Opening is not reading. The
   transcript, the customer context and the queue contact details are personal data held by purposes of
   the policy, and staff read them only through a purpose that holds them *now* and is meant for them
   (`advisor_purposes`). A queued bot conversation is not yet held by the customer-service purpose
   (that hold starts when an advisor joins), so its transcript appears once the advisor takes it; a
   supervisor opening a bot-only conversation sees its status but not its content.

Each read through a purpose is audited by the caller (see `console_views`).

3. *Is the customer's processing restricted?* (`refuse_if_restricted`) Restriction (GDPR Art. 18)
   leaves storage as the only use: staff may learn that the conversation exists and is restricted, and
   nothing more (no transcript, no customer context, no taking or replying) until it is lifted.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from tillit.auth import service as auth_service
from tillit.auth.schemas import Principal
from tillit.conversations.schemas import ConversationRead
from tillit.core.clock import Clock
from tillit.core.errors import PermissionDeniedError
from tillit.policy.schema import Policy, Purpose
from tillit.retention import service as retention_service
from tillit.subjects import service as subjects_service

CONVERSATION = "conversation"
ADVISOR_ROLES = frozenset({"advisor", "supervisor"})
SUPPORT_DATA_USE = "essential.service.operations.support"
"""The fideslang data use of customer support; the last clue to a customer-service purpose."""


RESTRICTED_MESSAGE = (
    "Processing of this customer's data is restricted (GDPR Art. 18). The conversation is stored, but it "
    "cannot be opened, taken or answered until the restriction is lifted."
)


class ProcessingRestrictedError(PermissionDeniedError):
    """The conversation belongs to a subject whose processing is restricted (403)."""

    code = "processing_restricted"


def refuse_if_restricted(session: Session, conversation: ConversationRead) -> None:
    """ProcessingRestrictedError when the conversation's customer is restricted; anonymous chats never are."""
    if conversation.subject_id is not None and subjects_service.is_restricted(
        session, conversation.subject_id
    ):
        raise ProcessingRestrictedError(RESTRICTED_MESSAGE, details={"conversation_id": conversation.id})


def _usable_by(purpose: Purpose, roles: Iterable[str]) -> bool:
    """A purpose with `staff_roles` is readable only by those roles (e.g. chat_safety: security officers)."""
    return not purpose.staff_roles or bool(set(purpose.staff_roles) & set(roles))


def advisor_purposes(policy: Policy, roles: Iterable[str], record_type: str = CONVERSATION) -> list[str]:
    """The purposes through which customer-service staff with `roles` read `record_type` records.

    The policy has no field saying "this is the advisors' purpose"; it says which purposes hold which
    records on which facts. So the resolver reads it in order of how explicit the policy is, and returns
    the first non-empty tier:

    1. purposes that hold the record *because an advisor joined* (`applies_if: {had_advisor: true}`):
       bank `customer_service`, parcel `advisor_chat`;
    2. purposes that name advisors or supervisors in `staff_roles`;
    3. purposes whose data use is customer support (`essential.service.operations.support`): telecom
       `customer_service`, saas `customer_support_*`, parcel `handoff_followup` for queue contacts.

    Purposes whose `staff_roles` exclude every one of `roles` are never offered. Purposes for the bot,
    the customer's own archive or analytics hold the same conversation but serve someone else, so they
    are not returned and an advisor cannot read through them.
    """
    role_set = set(roles)
    holding = [p for p in policy.purposes_holding(record_type) if _usable_by(p, role_set)]
    tiers = (
        [p for p in holding if p.applies_if.get("had_advisor") is True],
        [p for p in holding if set(p.staff_roles) & ADVISOR_ROLES],
        [p for p in holding if p.fides_data_use == SUPPORT_DATA_USE],
    )
    for tier in tiers:
        if tier:
            return [p.id for p in tier]
    return []


def reading_purpose(
    session: Session,
    policy: Policy,
    *,
    roles: Iterable[str],
    record_type: str,
    record_id: str,
    clock: Clock,
) -> str | None:
    """The first of `advisor_purposes` that holds this record now (`retention.can_read`), or None when
    no purpose lets customer-service staff read it (bot-only, not yet taken, or its holds have ended)."""
    for purpose in advisor_purposes(policy, roles, record_type):
        if retention_service.can_read(
            session, policy, purpose, record_type=record_type, record_id=record_id, clock=clock
        ):
            return purpose
    return None


def sees_everything(staff: Principal) -> bool:
    return auth_service.has_permission(staff, "conversation.read_all")


def may_open(staff: Principal, conversation: ConversationRead) -> bool:
    """Queued (to take it) or theirs for an advisor; anything for a supervisor; nothing without console."""
    if not auth_service.has_permission(staff, "console.open"):
        return False
    if sees_everything(staff):
        return True
    return conversation.status == "queued" or conversation.advisor_id == staff.id


def may_take(staff: Principal, conversation: ConversationRead) -> bool:
    return conversation.status == "queued" and auth_service.has_permission(staff, "conversation.take")


def may_write(staff: Principal, conversation: ConversationRead) -> bool:
    """Reply, tag and close: the advisor who has the conversation, or a supervisor stepping in."""
    if not auth_service.has_permission(staff, "conversation.reply"):
        return False
    if conversation.status == "queued" or conversation.status == "bot":
        return False
    return conversation.advisor_id == staff.id or sees_everything(staff)
