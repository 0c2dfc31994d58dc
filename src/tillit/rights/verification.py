"""E-mail verification of requests filed on the public form: a one-time code, and matching to a subject.

Why a code and not a link: a link in an e-mail is opened by mail scanners and previewers, which would
"verify" on the person's behalf; a six-digit code has to be typed by someone who read the mail.

The code lives 15 minutes and allows `MAX_ATTEMPTS` guesses, after which the verification is locked (the
person asks for a new code by filing again; at most `MAX_CODES_PER_HOUR` codes per address and hour, so
the form cannot be used to flood someone's inbox). At rest there is only an HMAC of the code, keyed with a
key derived from the deployment secret and bound to the verification's id; the address is encrypted
(needed once more to find the subject) and hashed (for the hourly limit). While the code is outstanding
the request is `verifying` and its clock is paused (`rights.service.start_verification`); a correct code
whose address belongs to a subject resumes it (`mark_verified`). An address that matches nobody leaves the
request `verifying` with the verification `unmatched`, for the DPO to answer or reject.

Functions take `session` and never commit. A wrong code is not an exception: the attempt must be
counted and committed, so `confirm` returns what happened instead of raising.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tillit.core.clock import Clock, ensure_utc
from tillit.core.crypto import FieldCipher, derive_key, keyed_hash
from tillit.core.errors import NotFoundError, TillitError
from tillit.core.ids import new_id
from tillit.policy.schema import Policy
from tillit.rights import service as rights_service
from tillit.rights.intake_models import RightsVerification
from tillit.subjects import service as subjects_service

CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 5
CODE_DIGITS = 6
_CODE_INFO = b"tillit/rights-verification-code/v1"

Outcome = Literal["confirmed", "unmatched", "wrong", "expired", "locked"]


class TooManyCodesError(TillitError):
    """Too many codes were sent to one address within the hour."""

    code = "too_many_codes"
    http_status = 429


@dataclass(frozen=True)
class Started:
    verification_id: str
    code: str
    """The clear code, to be mailed at once and then forgotten: it is never stored."""


@dataclass(frozen=True)
class Confirmation:
    outcome: Outcome
    request_id: str
    attempts_left: int
    subject_id: str | None = None


def _code_hash(secret: str, verification_id: str, code: str) -> str:
    key = derive_key(secret, _CODE_INFO)
    return hmac.new(key, f"{verification_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _context(verification_id: str) -> str:
    return f"rights_verification/email/{verification_id}"


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def start(
    session: Session, request_id: str, email: str, *, language: str, clock: Clock, secret: str
) -> Started:
    """Create a code for `email` and pause the request's clock; TooManyCodesError over the hourly limit."""
    now = clock.now()
    email_hash = keyed_hash(secret, "rights_verification_email", email.strip().lower())
    recent = session.scalar(
        select(func.count())
        .select_from(RightsVerification)
        .where(
            RightsVerification.email_hash == email_hash,
            RightsVerification.created_at > now - timedelta(hours=1),
        )
    )
    if (recent or 0) >= MAX_CODES_PER_HOUR:
        raise TooManyCodesError("too many codes were sent to this address; try again in an hour")
    verification_id, code = new_id(), new_code()
    session.add(
        RightsVerification(
            id=verification_id,
            request_id=request_id,
            email_hash=email_hash,
            email_encrypted=FieldCipher(secret).encrypt(email.strip(), context=_context(verification_id)),
            code_hash=_code_hash(secret, verification_id, code),
            language=language,
            attempts=0,
            created_at=now,
            expires_at=now + CODE_TTL,
            confirmed_at=None,
            status="pending",
        )
    )
    session.flush()
    rights_service.start_verification(session, request_id, clock=clock)
    return Started(verification_id=verification_id, code=code)


def confirm(
    session: Session, policy: Policy, verification_id: str, code: str, *, clock: Clock, secret: str
) -> Confirmation:
    """Check a typed code; on success find the subject by the address and resume the request's clock."""
    row = session.get(RightsVerification, verification_id)
    if row is None:
        raise NotFoundError("no such verification")
    now = clock.now()

    def result(outcome: Outcome, subject_id: str | None = None) -> Confirmation:
        left = max(MAX_ATTEMPTS - row.attempts, 0)
        return Confirmation(outcome, row.request_id, left, subject_id)

    if row.status == "locked" or row.attempts >= MAX_ATTEMPTS:
        return result("locked")
    if row.status in ("confirmed", "unmatched"):
        return result(row.status)  # type: ignore[arg-type]
    if now >= ensure_utc(row.expires_at):
        return result("expired")
    typed = "".join(ch for ch in code if ch.isdigit())
    if not hmac.compare_digest(row.code_hash, _code_hash(secret, verification_id, typed)):
        row.attempts += 1
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "locked"
        session.flush()
        return result("locked" if row.status == "locked" else "wrong")
    row.confirmed_at = now
    email = FieldCipher(secret).decrypt(row.email_encrypted, context=_context(verification_id))
    subject = subjects_service.find_by_identifier(
        session, "email", email, secret=secret, default_region=policy.organisation.country
    )
    if subject is None:
        row.status = "unmatched"
        session.flush()
        return result("unmatched")
    row.status = "confirmed"
    session.flush()
    rights_service.mark_verified(session, row.request_id, subject_id=subject.id, clock=clock)
    return result("confirmed", subject.id)


def status_of(session: Session, request_id: str) -> str | None:
    """The newest verification's status for a request (`pending`, `confirmed`, `unmatched`, `locked`)."""
    return session.scalar(
        select(RightsVerification.status)
        .where(RightsVerification.request_id == request_id)
        .order_by(RightsVerification.created_at.desc())
        .limit(1)
    )


def verified_email(session: Session, request_id: str, *, secret: str) -> str | None:
    """The address a request's code was confirmed at (for answering the requester), or None."""
    row = session.scalars(
        select(RightsVerification)
        .where(
            RightsVerification.request_id == request_id,
            RightsVerification.status.in_(("confirmed", "unmatched")),
        )
        .order_by(RightsVerification.created_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return FieldCipher(secret).decrypt(row.email_encrypted, context=_context(row.id))
