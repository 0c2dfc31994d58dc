"""Legal basis and rights rules: each basis carries what the GDPR asks of it, and the rights the notice
promises (withdrawal, objection, opt-out) fit the basis they are promised on. Also transfers outside the
EU/EEA and the improvement sample.
"""

from __future__ import annotations

from collections.abc import Iterator

from tillit.policy.lint_rules._base import RuleSet, at
from tillit.policy.loader import PathKey, PolicyDocument, Problem
from tillit.policy.schema import EEA_COUNTRIES, Policy

rules = RuleSet()

_OBJECTABLE = frozenset({"legitimate_interests", "public_task"})
"""Bases on which Art. 21(1) gives the subject a right to object."""


def _key_or(document: PolicyDocument, path: PathKey, fallback: PathKey) -> PathKey:
    """`path` when the file has that key, else `fallback` (an absent key has no line of its own)."""
    return path if path in document.lines else fallback


@rules.rule("legitimate-interest-missing", "legitimate_interests as basis states the legitimate_interest")
def missing_legitimate_interest(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        if purpose.legal_basis == "legitimate_interests" and purpose.legitimate_interest is None:
            yield at(
                ("purposes", index, "legal_basis"),
                "legal basis 'legitimate_interests' requires stating the interest: add legitimate_interest "
                "with a text in each language",
            )


@rules.rule("legal-obligation-missing", "legal_obligation as basis names the law in legal_obligation")
def missing_legal_obligation(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        if purpose.legal_basis == "legal_obligation" and purpose.legal_obligation is None:
            yield at(
                ("purposes", index, "legal_basis"),
                "legal basis 'legal_obligation' requires naming the law: add legal_obligation with a text "
                "in each language",
            )


@rules.rule(
    "consent-withdrawal",
    "consent (Art. 6(1)(a), or explicit consent under Art. 9(2)(a)) can be withdrawn: withdrawal: true",
)
def consent_without_withdrawal(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        if purpose.withdrawal:
            continue
        if purpose.legal_basis == "consent":
            yield at(
                ("purposes", index, "legal_basis"), "legal basis 'consent' requires withdrawal to be possible"
            )
        elif purpose.art9_condition == "explicit_consent":
            yield at(
                ("purposes", index, "art9_condition"),
                "art9_condition 'explicit_consent' requires withdrawal to be possible",
            )


@rules.rule(
    "withdrawal-without-consent",
    "withdrawal is promised only where there is a consent to withdraw",
    "warning",
)
def withdrawal_without_consent(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        consent = purpose.legal_basis == "consent" or purpose.art9_condition == "explicit_consent"
        if purpose.withdrawal and not consent:
            yield at(
                ("purposes", index, "withdrawal"),
                f"withdrawal: true promises withdrawing a consent, but the legal basis is "
                f"'{purpose.legal_basis}'; use objection or opt_out for the subject's way out",
            )


@rules.rule("consent-opt-out", "opt_out and objection mean nothing on a consent purpose", "warning")
def opt_out_on_consent(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        if purpose.legal_basis != "consent":
            continue
        for key in ("opt_out", "objection"):
            if getattr(purpose, key):
                yield at(
                    ("purposes", index, key),
                    f"{key} has no effect on a consent purpose: the subject says no by withdrawing consent",
                )


@rules.rule(
    "objection-missing",
    "legitimate interests and public task purposes let the subject object (Art. 21(1))",
    "warning",
)
def missing_objection(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        if purpose.legal_basis in _OBJECTABLE and not purpose.objection:
            path = _key_or(document, ("purposes", index, "objection"), ("purposes", index, "legal_basis"))
            yield at(
                path,
                f"the subject has a right to object to processing on '{purpose.legal_basis}' (Art. 21(1)): "
                "set objection: true",
            )


@rules.rule(
    "direct-marketing-opt-out", "direct marketing not based on consent allows opt_out (Art. 21(2)-(3))"
)
def direct_marketing_without_opt_out(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        if purpose.direct_marketing and purpose.legal_basis != "consent" and not purpose.opt_out:
            path = _key_or(document, ("purposes", index, "opt_out"), ("purposes", index, "direct_marketing"))
            yield at(
                path,
                f"direct marketing on '{purpose.legal_basis}' must let the subject opt out at any time "
                "(Art. 21(3)): set opt_out: true",
            )


@rules.rule("opt-out-without-channels", "opt_out (a reservation per channel) needs the purpose's channels")
def opt_out_without_channels(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        if purpose.opt_out and not purpose.channels:
            yield at(
                ("purposes", index, "opt_out"),
                "opt_out lets the subject reserve per channel, but the purpose lists no channels",
            )


@rules.rule(
    "transfer-safeguard-missing", "a recipient outside the EU/EEA has a transfer_safeguard (Art. 44-49)"
)
def missing_transfer_safeguards(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, recipient in enumerate(policy.recipients):
        if recipient.country not in EEA_COUNTRIES and recipient.transfer_safeguard is None:
            yield at(
                ("recipients", index, "country"),
                f"'{recipient.country}' is outside the EU/EEA: state the transfer_safeguard "
                "(adequacy, scc, bcr or derogation)",
            )


@rules.rule(
    "sample-rate", "sample_rate takes a real sample: above 0, and below 1 on legitimate interests", "warning"
)
def odd_sample_rates(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        rate = purpose.sample_rate
        if rate is None:
            continue
        path = ("purposes", index, "sample_rate")
        if rate == 0:
            yield at(path, "sample_rate 0 samples nothing: remove the purpose or give it a rate")
        elif rate >= 1 and purpose.legal_basis == "legitimate_interests":
            yield at(
                path,
                "sample_rate 1 takes every record, which is no sample: a legitimate interest has to be "
                "balanced against the subject's, so keep only the fraction the purpose needs",
            )
