"""The e-mails the rights intake sends: the one-time code, and the notice that a deadline was extended.

Kept short and free of personal data beyond what the person gave us: the code mail carries the code and
the organisation's name only (no request type, so a mail read by someone else reveals little); the
extension notice gives the reason and the new deadline, as Art. 12(3) requires within the first month.
Texts are English message ids translated through the gettext catalogues, like every page.
"""

from __future__ import annotations

from tillit.core.mail import OutgoingMail
from tillit.policy.i18n import N_, Wording
from tillit.policy.schema import Policy
from tillit.rights.schemas import RequestRead
from tillit.rights.verification import CODE_TTL

TYPE_NAMES: dict[str, str] = {
    "access": N_("See your data (access)"),
    "portability": N_("Get your data to take elsewhere (portability)"),
    "rectification": N_("Correct your data (rectification)"),
    "erasure": N_("Have your data erased (erasure)"),
    "restriction": N_("Restrict the use of your data (restriction)"),
    "objection": N_("Object to a use of your data (objection)"),
    "withdrawal": N_("Withdraw a consent"),
}
"""Request types as people read them (message ids)."""

STATUS_NAMES: dict[str, str] = {
    "received": N_("Received"),
    "verifying": N_("Waiting for confirmation"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "rejected": N_("Rejected"),
}


def code_mail(policy: Policy, lang: str, to: str, code: str) -> OutgoingMail:
    words = Wording(lang)
    minutes = int(CODE_TTL.total_seconds() // 60)
    text = "\n\n".join(
        [
            words._("Your confirmation code is %(code)s.", code=code),
            words._(
                "Type it on the page where you sent your request to %(organisation)s. It is valid for "
                "%(minutes)s minutes.",
                organisation=policy.organisation.name,
                minutes=minutes,
            ),
            words._("If you did not ask for this, you can ignore this e-mail."),
        ]
    )
    return OutgoingMail(to=to, subject=words._("Your confirmation code"), text=text + "\n")


def extension_mail(policy: Policy, request: RequestRead, to: str) -> OutgoingMail:
    words = Wording(request.language)
    deadline = words.date((request.extended_until or request.due_at).date())
    text = "\n\n".join(
        [
            words._(
                "We received your request (%(type)s) on %(received)s.",
                type=words._(TYPE_NAMES[request.type]),
                received=words.date(request.received_at.date()),
            ),
            words._(
                "We need more time to answer it and will do so by %(deadline)s at the latest.",
                deadline=deadline,
            ),
            words._("The reason: %(reason)s", reason=request.extension_reason or ""),
            words._("Questions? Write to %(email)s.", email=policy.organisation.dpo.email),
        ]
    )
    subject = words._("We need more time for your request")
    return OutgoingMail(to=to, subject=f"{subject} – {policy.organisation.name}", text=text + "\n")
