"""Roles and what they may do. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Role = Literal["advisor", "supervisor", "marketing", "dpo", "security_officer", "admin"]
ROLES: tuple[Role, ...] = ("advisor", "supervisor", "marketing", "dpo", "security_officer", "admin")

PERMISSIONS: dict[str, frozenset[str]] = {
    "advisor": frozenset({"console.open", "conversation.take", "conversation.reply", "conversation.log"}),
    "supervisor": frozenset(
        {
            "console.open",
            "conversation.take",
            "conversation.reply",
            "conversation.log",
            "conversation.read_all",
        }
    ),
    "marketing": frozenset({"marketing.campaigns"}),
    "dpo": frozenset({"console.dpo", "rights.manage", "retention.manage", "audit.read", "policy.read"}),
    "security_officer": frozenset({"disclosure.manage", "audit.read", "location.read"}),
    "admin": frozenset({"staff.manage", "policy.read", "audit.read"}),
}
"""Permissions per role. Admin manages accounts but does not read conversations: least privilege."""

MIN_PASSWORD_LENGTH = 12


def permissions_of(roles: Iterable[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def has_permission(roles: Iterable[str], permission: str) -> bool:
    return permission in permissions_of(roles)


def unknown_roles(roles: Iterable[str]) -> list[str]:
    return sorted(set(roles) - set(ROLES))


def password_problem(password: str, username: str) -> str | None:
    """Why a password is refused, or None. Length over composition rules (NIST SP 800-63B)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must be at least {MIN_PASSWORD_LENGTH} characters"
    if username and username.lower() in password.lower():
        return "the password must not contain the username"
    return None
