"""Roles and what they may do, and when failed logins lock a username or a client. Pure: no I/O, no
clock (the caller passes `now`)."""

from __future__ import annotations

import ipaddress
import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
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


# --- login throttling -------------------------------------------------------------------------------------

ThrottleScope = Literal["username", "client"]
IPV6_CLIENT_PREFIX = 64
"""An IPv6 client is counted by its /64: one subscriber usually holds a whole /64, so counting single
addresses would give an attacker 2**64 fresh budgets."""


@dataclass(frozen=True)
class FailureLimit:
    """`max_failures` failed logins within `window` lock the key for `lockout` from the last of them."""

    max_failures: int
    window: timedelta
    lockout: timedelta


@dataclass(frozen=True)
class LoginLimits:
    """The limits of one deployment: one window and lockout, a failure count per username and per client."""

    max_failures_per_username: int
    max_failures_per_client: int
    window: timedelta
    lockout: timedelta

    @property
    def horizon(self) -> timedelta:
        """How far back a failure can still matter: it may be the last of a run that locks until
        `lockout` after it, and that run reaches `window` further back."""
        return self.window + self.lockout

    def of(self, scope: ThrottleScope) -> FailureLimit:
        per = self.max_failures_per_username if scope == "username" else self.max_failures_per_client
        return FailureLimit(per, self.window, self.lockout)


@dataclass(frozen=True)
class Refusal:
    """A login refused for now: until when, and which keys are locked (for the audit row, never shown)."""

    until: datetime
    scopes: tuple[ThrottleScope, ...]


def locked_until(failures: Iterable[datetime], limit: FailureLimit, now: datetime) -> datetime | None:
    """When the lock these failures put on their key ends, or None when the key is not locked at `now`.

    Every failure that is the `max_failures`-th within `window` (counting itself and those before it)
    locks until `lockout` after it; the latest such lock wins. Refused attempts are not failures (the
    caller does not record them), so hammering a locked key does not extend its lock. With a lockout
    shorter than the window, the failures that caused a lock still count after it: the next failure locks
    again at once, so guessing stays at `max_failures` per window.
    """
    times = sorted(failures)
    until: datetime | None = None
    first = 0
    for last, at in enumerate(times):
        while times[first] <= at - limit.window:
            first += 1
        if last - first + 1 >= limit.max_failures:
            until = at + limit.lockout
    return until if until is not None and until > now else None


def refusal(
    username_failures: Iterable[datetime],
    client_failures: Iterable[datetime],
    limits: LoginLimits,
    now: datetime,
) -> Refusal | None:
    """None when a login may be tried now, else until when it is refused (the later of the two locks)."""
    locks: dict[ThrottleScope, datetime | None] = {
        "username": locked_until(username_failures, limits.of("username"), now),
        "client": locked_until(client_failures, limits.of("client"), now),
    }
    held = {scope: until for scope, until in locks.items() if until is not None}
    if not held:
        return None
    return Refusal(until=max(held.values()), scopes=tuple(held))


def retry_after_seconds(until: datetime, now: datetime) -> int:
    """Whole seconds to wait (the HTTP `Retry-After` value), rounded up and at least 1."""
    return max(1, math.ceil((until - now).total_seconds()))


def username_key(username: str) -> str:
    """The form of a username that failures are counted under: every spelling a login might try of one
    name (case, surrounding spaces, Unicode compatibility forms) counts as that name."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def client_key(host: str | None) -> str | None:
    """The form of a client address that failures are counted under (None when the server has none).

    IPv4 as is (an IPv4-mapped IPv6 address as its IPv4), IPv6 as its /64 network; anything that is not
    an address (a test client's name, a Unix socket) as given.
    """
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host.strip())
    except ValueError:
        return host.strip()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)
