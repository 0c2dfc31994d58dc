"""What every rights form shares: the privacy centre's, the public one and the DPO console's intake.

One form offers every request type (`_rights_form.html.j2`, with the stable ids `#rights-form` and
`#request-type`): the extra fields a type takes (what to rectify, which purposes to object to or withdraw
consent from) are read into the request's `details` here, the same way wherever the form is filed. Rights
mail (the one-time code, the notice of an extended deadline) goes through `mailer`.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from tillit.core.mail import SmtpMailer
from tillit.policy.i18n import N_, Wording
from tillit.policy.schema import Policy
from tillit.rights import notices
from tillit.rights.change import objectable
from tillit.rights.schemas import REQUEST_TYPES
from tillit.runtime import Runtime

RECTIFY_KINDS = (
    ("email", N_("E-mail address")),
    ("phone", N_("Phone number")),
    ("name", N_("Name")),
    ("address", N_("Postal address")),
    ("customer_number", N_("Customer number")),
    ("national_id", N_("National ID number")),
)


def mailer(runtime: Runtime) -> SmtpMailer:
    """The SMTP mailer for rights mail, from this deployment's settings."""
    s = runtime.settings
    return SmtpMailer(
        s.smtp_host,
        s.smtp_port,
        s.mail_from,
        username=s.smtp_username,
        password=s.smtp_password,
        starttls=s.smtp_starttls,
    )


def purposes_for(policy: Policy, lang: str) -> dict[str, list[dict[str, str]]]:
    """Purposes one may object to, and those resting on consent (to withdraw), named in `lang`."""

    def name(texts: dict[str, str]) -> str:
        return texts.get(lang) or next(iter(texts.values()), "")

    return {
        "objection": [{"id": p.id, "name": name(p.name)} for p in policy.purposes if objectable(p)],
        "withdrawal": [
            {"id": p.id, "name": name(p.name)} for p in policy.purposes if p.legal_basis == "consent"
        ],
    }


def details_from_form(type_: str, kind: str, value: str, purposes: list[str]) -> dict[str, Any]:
    """The `details` a request type takes, from the one form that offers every type."""
    if type_ == "rectification":
        return {"kind": kind, "value": value.strip()}
    if type_ in ("objection", "withdrawal"):
        return {"purposes": purposes}
    return {}


def form_context(policy: Policy, lang: str) -> dict[str, Any]:
    """What the one form needs to offer every request type in `lang` (the template's variables)."""
    return {
        "types": [(t, notices.TYPE_NAMES[t]) for t in REQUEST_TYPES],
        "kinds": RECTIFY_KINDS,
        "purposes": purposes_for(policy, lang),
    }


def problem(lang: str, exc: Exception) -> str:
    """The one line, in the person's language, that says what to fix when a filed form is refused."""
    words = Wording(lang)
    if isinstance(exc, ValidationError):
        return words._("Check the form: %(problem)s", problem=exc.errors()[0]["msg"])
    return words._("Check the form: %(problem)s", problem=getattr(exc, "message", str(exc)))
