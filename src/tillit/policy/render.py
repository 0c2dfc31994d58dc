"""Render a policy as its privacy notice (HTML or Markdown) in one of the policy's languages.

The notice is layered like the source notices: who is responsible, a short summary, then per purpose what
is processed, why and on which legal basis, how long, who receives it, where it comes from and what the
person can do about it; then the rights and how to use them, and the change log. Everything a policy
author wrote comes from the policy (`LocalText`); every fixed phrase comes from the catalogues
(`tillit.policy.i18n`), so the same policy reads naturally in nb, sv, da and en.

Building the notice is split in two: `build_notice` turns the policy into plain view objects holding
finished sentences (the only place that knows how a retention rule or a legal basis reads), and the Jinja2
templates only lay them out. HTML is autoescaped; Markdown escapes policy text with the `md` filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tillit.core.errors import ValidationFailedError
from tillit.policy.i18n import (
    ART9_CONDITIONS,
    BOOLEAN_FACTS,
    CATALOGUE_LANGUAGES,
    CONSENT_STATES,
    RECORD_KIND_NAMES,
    SELF_SERVICE_ACTIONS,
    STAFF_ROLES,
    SUPERVISORY_AUTHORITIES,
    TRANSFER_SAFEGUARDS,
    Wording,
    capitalise,
    language_name,
    translations,
)
from tillit.policy.schema import (
    EEA_COUNTRIES,
    LEGAL_BASIS_ARTICLE,
    Contact,
    FactValue,
    LocalText,
    Policy,
    Purpose,
    RetentionRule,
)

__all__ = [
    "NoticeFormat",
    "NoticeView",
    "build_notice",
    "check_language",
    "language_name",
    "notice_css",
    "render_notice",
    "retention_in_words",
    "translations",
]

NoticeFormat = Literal["html", "md"]
FORMATS: tuple[str, ...] = ("html", "md")
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
_DURATION_PARTS = re.compile(r"(\d+)([YMWD])")
_DAYS_PER_UNIT = {"Y": 365.25, "M": 30.44, "W": 7.0, "D": 1.0}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


# --- view objects: finished text, no policy logic left for the templates -------------------------------


@dataclass(frozen=True)
class ContactItem:
    label: str
    value: str
    href: str | None = None


@dataclass(frozen=True)
class ControllerView:
    name: str
    org_number: str | None
    country: str
    contact: list[ContactItem]


@dataclass(frozen=True)
class RecipientView:
    name: str
    service: str
    role: str
    country: str
    transfer: str | None


@dataclass(frozen=True)
class RetentionLine:
    text: str
    note: str | None = None


@dataclass(frozen=True)
class PurposeView:
    id: str
    anchor: str
    name: str
    description: str
    applies: str | None
    generative_ai: list[str]
    data_categories: list[str]
    data_subjects: list[str]
    legal_basis: str
    legal_basis_article: str
    basis_details: list[str]
    controllers: str | None
    retention: list[RetentionLine]
    retention_summary: str
    access: str | None
    recipients: list[RecipientView]
    sources: list[str]
    channels: str | None
    choices: list[str]


@dataclass(frozen=True)
class RightView:
    key: str
    title: str
    article: str
    text: str
    applies_to: str | None = None


@dataclass(frozen=True)
class ChangeView:
    iso_date: str
    date: str
    text: str


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str


@dataclass(frozen=True)
class NoticeView:
    lang: str
    languages: list[LanguageLink]
    organisation: str
    version: str
    version_line: str
    intro: str
    responsible: str
    controllers: list[ControllerView]
    joint: list[str]
    joint_rights: str | None
    dpo: list[ContactItem]
    contact: list[ContactItem]
    purposes: list[PurposeView]
    rights: list[RightView]
    how_to: list[str]
    changelog: list[ChangeView] = field(default_factory=list)


# --- building the view ---------------------------------------------------------------------------------


def check_language(policy: Policy, lang: str) -> None:
    """Refuse a language the policy does not speak (or that has no catalogue): a notice in a language the
    organisation has not written would mix languages, which is worse than no notice."""
    if lang not in policy.languages:
        known = ", ".join(policy.languages)
        raise ValidationFailedError(
            f"language '{lang}' is not one of this policy's languages ({known})",
            details={"field": "lang", "allowed": policy.languages},
        )
    if lang not in CATALOGUE_LANGUAGES:
        raise ValidationFailedError(
            f"language '{lang}' has no catalogue (available: {', '.join(CATALOGUE_LANGUAGES)})",
            details={"field": "lang", "allowed": [c for c in policy.languages if c in CATALOGUE_LANGUAGES]},
        )


class _Builder:
    """Turns one policy into a `NoticeView` in one language."""

    def __init__(self, policy: Policy, lang: str) -> None:
        self.policy = policy
        self.lang = lang
        self.w = Wording(lang)
        self.category_names = {c.key: c.name for c in policy.data_categories}
        self.subject_names = {s.key: s.name for s in policy.data_subjects}
        self.source_names = {s.id: s.name for s in policy.sources}
        self.dataset_names = {d.id: d.name for d in policy.datasets}
        self.controller_names = {c.id: c.name for c in policy.controllers}

    def text(self, local: LocalText | None) -> str:
        """The policy's own text in this language, else in its default language, else any."""
        if not local:
            return ""
        return (
            local.get(self.lang)
            or local.get(self.policy.organisation.default_language)
            or next(iter(local.values()), "")
        )

    # names

    def category(self, key: str) -> str:
        if key in self.category_names:
            return self.text(self.category_names[key])
        return self.w.category(key)

    def subject(self, key: str) -> str:
        return self.text(self.subject_names[key]) if key in self.subject_names else key.replace("_", " ")

    def record_kind(self, kind: str) -> str:
        if kind in self.dataset_names:
            return _decapitalise(self.text(self.dataset_names[kind]))
        message = RECORD_KIND_NAMES.get(kind)
        return self.w._(message) if message else kind.replace("_", " ")

    def contact(self, contact: Contact | None) -> list[ContactItem]:
        if contact is None:
            return []
        w = self.w
        items: list[ContactItem] = []
        if contact.email:
            items.append(ContactItem(w._("E-mail"), contact.email, f"mailto:{contact.email}"))
        if contact.phone:
            items.append(ContactItem(w._("Phone"), contact.phone, "tel:" + contact.phone.replace(" ", "")))
        if contact.address:
            items.append(ContactItem(w._("Address"), contact.address))
        if contact.url:
            items.append(ContactItem(w._("Website"), contact.url, contact.url))
        return items

    # retention

    def conditions(self, when: dict[str, FactValue]) -> tuple[str | None, list[str]]:
        """Split a rule's condition into a scope ("for contact details ...") and clauses ("you have
        talked to an advisor"), each in words; unknown facts read as "<fact> is <value>"."""
        w = self.w
        scope: str | None = None
        clauses: list[str] = []
        for fact, value in when.items():
            values = [str(v) for v in value] if isinstance(value, list) else None
            if fact == "record_kind":
                scope = w.and_list(self.record_kind(k) for k in (values or [str(value)]))
            elif fact in BOOLEAN_FACTS and isinstance(value, bool):
                clauses.append(w._(BOOLEAN_FACTS[fact][0 if value else 1]))
            elif fact == "state" and all(v in CONSENT_STATES for v in (values or [str(value)])):
                clauses.append(w.or_list(w._(CONSENT_STATES[v]) for v in (values or [str(value)])))
            elif fact == "channel":
                channels = w.or_list(w.channel(c) for c in (values or [str(value)]))
                clauses.append(w._("the channel is %(channels)s", channels=channels))
            elif fact in ("kind", "subject_kind") and all(
                k in self.subject_names for k in (values or [str(value)])
            ):
                group = w.or_list(self.subject(k) for k in (values or [str(value)]))
                clauses.append(w._("you are in the group %(group)s", group=group))
            else:
                if isinstance(value, bool):
                    shown = w.yes_no(value)
                elif values is not None:
                    shown = w.or_list(v.replace("_", " ") for v in values)
                else:
                    shown = str(value).replace("_", " ")
                clauses.append(w._("%(fact)s is %(value)s", fact=fact.replace("_", " "), value=shown))
        return scope, clauses

    def condition_sentence(self, when: dict[str, FactValue]) -> str:
        """A whole condition as one clause: "for contact details ..., if you have talked to an advisor"."""
        w = self.w
        scope, clauses = self.conditions(when)
        parts: list[str] = []
        if scope:
            parts.append(w._("for %(what)s", what=scope))
        if clauses:
            parts.append(w._("if %(conditions)s", conditions=w.and_list(clauses)))
        return ", ".join(parts)

    def retention_rule(self, rule: RetentionRule, *, otherwise: bool) -> RetentionLine:
        w = self.w
        anonymise = rule.action == "anonymise"
        if _approximate_days(rule.keep) == 0:
            # "Kept 0 days" reads as nonsense; say what happens instead, and when (unless "when recorded").
            if rule.from_ == "created_at":
                period = w._("Anonymised immediately") if anonymise else w._("Deleted immediately")
            elif anonymise:
                period = w._("Anonymised immediately %(anchor)s", anchor=w.anchor(rule.from_))
            else:
                period = w._("Deleted immediately %(anchor)s", anchor=w.anchor(rule.from_))
            anonymise = False
        else:
            period = w._(
                "%(duration)s %(anchor)s", duration=w.duration(rule.keep), anchor=w.anchor(rule.from_)
            )
        condition = self.condition_sentence(rule.when)
        sentence = f"{period}, {condition}" if condition else period
        if otherwise:
            sentence = w._("In other cases: %(period)s", period=_decapitalise(sentence))
        if anonymise:
            sentence = w._("%(rule)s; after that the data is anonymised", rule=sentence)
        note = self.text(rule.note) or None
        return RetentionLine(capitalise(sentence), note)

    def retention(self, purpose: Purpose) -> list[RetentionLine]:
        if not purpose.retention:
            text = self.w._("No fixed period is set: we keep the data only as long as this purpose needs it.")
            return [RetentionLine(text)]
        lines = []
        for index, rule in enumerate(purpose.retention):
            otherwise = index > 0 and not rule.when
            lines.append(self.retention_rule(rule, otherwise=otherwise))
        return lines

    def retention_summary(self, purpose: Purpose) -> str:
        w = self.w
        if not purpose.retention:
            return w._("As long as needed")
        durations = {rule.keep for rule in purpose.retention}
        longest = max(durations, key=_approximate_days)
        if _approximate_days(longest) == 0:
            anchors = {rule.from_ for rule in purpose.retention}
            if len(anchors) == 1 and (anchor := anchors.pop()) != "created_at":
                # "Deleted immediately" alone would hide that the data is kept until the anchor happens.
                return capitalise(w._("Deleted immediately %(anchor)s", anchor=w.anchor(anchor)))
            return w._("Deleted immediately")
        if len(durations) == 1:
            return capitalise(w.duration(longest))
        return capitalise(w._("up to %(period)s", period=w.duration(longest)))

    # the rest of a purpose

    def legal_basis_details(self, purpose: Purpose) -> list[str]:
        w = self.w
        details: list[str] = []
        if purpose.legitimate_interest:
            details.append(
                w._("Our legitimate interest: %(interest)s", interest=self.text(purpose.legitimate_interest))
            )
        if purpose.legal_obligation:
            details.append(w._("The law that requires it: %(law)s", law=self.text(purpose.legal_obligation)))
        if purpose.legal_basis == "consent":
            details.append(w._("We process this data only if you have given your consent."))
        if purpose.art9_condition:
            name, article = ART9_CONDITIONS[purpose.art9_condition]
            details.append(
                w._(
                    "Special categories of personal data are processed on the basis of: %(condition)s "
                    "(%(article)s).",
                    condition=w._(name),
                    article=w.article(article),
                )
            )
        return details

    def recipients(self, purpose: Purpose) -> list[RecipientView]:
        w = self.w
        views: list[RecipientView] = []
        for recipient_id in purpose.recipients:
            recipient = self.policy.recipient(recipient_id)
            if recipient is None:
                continue
            country = w.country(recipient.country)
            transfer: str | None = None
            if recipient.country not in EEA_COUNTRIES:
                if recipient.transfer_safeguard:
                    safeguard, article = TRANSFER_SAFEGUARDS[recipient.transfer_safeguard]
                    transfer = w._(
                        "Transferred outside the EU/EEA to %(country)s, safeguarded by %(safeguard)s "
                        "(%(article)s).",
                        country=country,
                        safeguard=w._(safeguard),
                        article=w.article(article),
                    )
                else:
                    transfer = w._("Transferred outside the EU/EEA to %(country)s.", country=country)
            views.append(
                RecipientView(
                    name=recipient.name,
                    service=self.text(recipient.service),
                    role=w.role(recipient.role),
                    country=country,
                    transfer=transfer,
                )
            )
        return views

    def choices(self, purpose: Purpose) -> list[str]:
        w = self.w
        choices: list[str] = []
        if purpose.withdrawal or purpose.legal_basis == "consent":
            choices.append(
                w._(
                    "You can withdraw your consent at any time. This does not affect the processing that "
                    "took place before you withdrew it."
                )
            )
        if purpose.direct_marketing:
            choices.append(w._("You can object to direct marketing at any time, and we will then stop."))
        elif purpose.objection:
            choices.append(
                w._(
                    "You can object to this processing. We will then stop, unless we have compelling "
                    "legitimate grounds that override your interests."
                )
            )
        if purpose.opt_out:
            opt_out_channels = purpose.opt_out_channels or purpose.channels
            if opt_out_channels:
                channels = w.and_list(w.channel(c) for c in opt_out_channels)
                choices.append(
                    w._("You can opt out of each channel separately: %(channels)s.", channels=channels)
                )
            else:
                choices.append(w._("You can opt out at any time."))
        if purpose.self_service:
            actions = w.and_list(w._(SELF_SERVICE_ACTIONS[a]) for a in purpose.self_service)
            choices.append(w._("You can %(actions)s it yourself.", actions=actions))
        if not choices:
            choices.append(
                w._(
                    "This processing is necessary for the purpose, so you cannot opt out of it; your other "
                    "rights still apply."
                )
            )
        return choices

    def controllers_of(self, purpose: Purpose) -> str | None:
        w = self.w
        names = [self.controller_names.get(c, c) for c in purpose.controllers]
        if len(names) > 1 and purpose.joint:
            return w._(
                "%(controllers)s are joint controllers for this purpose.", controllers=w.and_list(names)
            )
        if len(names) > 1:
            return w._(
                "%(controllers)s are each the controller for their own part of this processing.",
                controllers=w.and_list(names),
            )
        if len(names) == 1 and len(self.policy.controllers) > 1:
            return w._("%(controller)s is the controller for this purpose.", controller=names[0])
        return None

    def applies(self, purpose: Purpose) -> str | None:
        if not purpose.applies_if:
            return None
        return capitalise(
            self.w._("This applies %(condition)s.", condition=self.condition_sentence(purpose.applies_if))
        )

    def generative_ai(self, purpose: Purpose) -> list[str]:
        w = self.w
        if purpose.generative_ai is None:
            return []
        lines = [self.text(purpose.generative_ai.disclaimer)]
        if purpose.generative_ai.trains_model:
            lines.append(w._("What you write is also used to train the language model."))
        else:
            lines.append(w._("Nothing you write is used to train the language model."))
        return lines

    def access(self, purpose: Purpose) -> str | None:
        if not purpose.staff_roles:
            return None
        roles = self.w.and_list(self.w._(STAFF_ROLES[r]) for r in purpose.staff_roles)
        return self.w._("Inside our organisation, only these can see the data: %(roles)s.", roles=roles)

    def purpose(self, purpose: Purpose) -> PurposeView:
        w = self.w
        return PurposeView(
            id=purpose.id,
            anchor=f"purpose-{purpose.id}",
            name=self.text(purpose.name),
            description=self.text(purpose.description),
            applies=self.applies(purpose),
            generative_ai=self.generative_ai(purpose),
            data_categories=[self.category(c) for c in purpose.data_categories],
            data_subjects=[self.subject(s) for s in purpose.data_subjects],
            legal_basis=w.legal_basis(purpose.legal_basis),
            legal_basis_article=w.article(LEGAL_BASIS_ARTICLE[purpose.legal_basis]),
            basis_details=self.legal_basis_details(purpose),
            controllers=self.controllers_of(purpose),
            retention=self.retention(purpose),
            retention_summary=self.retention_summary(purpose),
            access=self.access(purpose),
            recipients=self.recipients(purpose),
            sources=[self.text(self.source_names[s]) for s in purpose.sources if s in self.source_names],
            channels=capitalise(w.and_list(w.channel(c) for c in purpose.channels)) or None,
            choices=self.choices(purpose),
        )

    # the whole notice

    def rights(self) -> list[RightView]:
        w = self.w
        policy = self.policy
        objectable = [self.text(p.name) for p in policy.purposes if p.objection or p.direct_marketing]
        consented = [self.text(p.name) for p in policy.purposes if p.withdrawal or p.legal_basis == "consent"]
        authority, url = self.authority()
        rights = [
            RightView(
                "access",
                w._("Access"),
                w.article("15"),
                w._("You can ask whether we process personal data about you and get a copy of it."),
            ),
            RightView(
                "rectification",
                w._("Rectification"),
                w.article("16"),
                w._("You can ask us to correct data that is wrong and to complete data that is incomplete."),
            ),
            RightView(
                "erasure",
                w._("Erasure"),
                w.article("17"),
                w._(
                    "You can ask us to delete your data. If a law requires us to keep some of it, we tell "
                    "you which data, why and for how long."
                ),
            ),
            RightView(
                "restriction",
                w._("Restriction"),
                w.article("18"),
                w._(
                    "You can ask us to limit the processing, for example while we check whether data is "
                    "correct."
                ),
            ),
            RightView(
                "portability",
                w._("Data portability"),
                w.article("20"),
                w._(
                    "You can get the data you have given us in a structured, machine-readable format, or "
                    "ask us to send it to another organisation."
                ),
            ),
            RightView(
                "objection",
                w._("Objection"),
                w.article("21"),
                w._(
                    "You can object to processing based on our legitimate interests. You can always object "
                    "to direct marketing."
                ),
                w._("Applies to: %(purposes)s.", purposes=w.and_list(objectable)) if objectable else None,
            ),
        ]
        if consented:
            rights.append(
                RightView(
                    "withdrawal",
                    w._("Withdrawing consent"),
                    w.article("7(3)"),
                    w._(
                        "Where we rely on your consent, you can withdraw it at any time, as easily as you "
                        "gave it."
                    ),
                    w._("Applies to: %(purposes)s.", purposes=w.and_list(consented)),
                )
            )
        complaint = w._(
            "You can complain to %(authority)s (%(url)s). You can also complain to the supervisory authority "
            "in the country where you live or work.",
            authority=authority,
            url=url,
        )
        if not url:
            complaint = w._(
                "You can complain to %(authority)s. You can also complain to the supervisory authority in "
                "the country where you live or work.",
                authority=authority,
            )
        rights.append(RightView("complaint", w._("Complaint"), w.article("77"), complaint))
        return rights

    def authority(self) -> tuple[str, str]:
        org = self.policy.organisation
        default = SUPERVISORY_AUTHORITIES.get(org.country)
        if org.supervisory_authority:
            return self.text(org.supervisory_authority), default[1] if default else ""
        if default:
            return default
        return self.w._(
            "the data protection authority in %(country)s", country=self.w.country(org.country)
        ), ""

    def how_to(self) -> list[str]:
        w = self.w
        org = self.policy.organisation
        email = org.contact.email or org.dpo.email
        lines = [w._("Contact us at %(email)s to use your rights.", email=email)]
        if org.rights_url:
            lines.append(w._("You can also use your rights online: %(url)s", url=org.rights_url))
        lines += [
            w._(
                "We answer without undue delay and within one month. If a request is complex or we receive "
                "many, we may extend this by two further months; we will then tell you why within the first "
                "month."
            ),
            w._("We may ask you to confirm who you are, so that nobody else gets access to your data."),
            w._("Using your rights is free of charge."),
        ]
        return lines

    def build(self) -> NoticeView:
        w = self.w
        policy = self.policy
        org = policy.organisation
        controllers = [
            ControllerView(c.name, c.org_number, w.country(c.country), self.contact(c.contact))
            for c in policy.controllers
        ]
        if len(controllers) == 1:
            responsible = w._(
                "%(name)s is the controller responsible for the processing of personal data described in "
                "this notice.",
                name=controllers[0].name,
            )
        else:
            responsible = w._(
                "These companies are controllers for the processing described in this notice; each purpose "
                "says which of them is responsible."
            )
        joint = [
            w._(
                "%(purpose)s: %(controllers)s are joint controllers.",
                purpose=self.text(p.name),
                controllers=w.and_list(self.controller_names.get(c, c) for c in p.controllers),
            )
            for p in policy.purposes
            if p.joint
        ]
        dpo = [ContactItem(w._("Name"), org.dpo.name)] if org.dpo.name else []
        dpo.append(ContactItem(w._("E-mail"), org.dpo.email, f"mailto:{org.dpo.email}"))
        if org.dpo.phone:
            dpo.append(ContactItem(w._("Phone"), org.dpo.phone, "tel:" + org.dpo.phone.replace(" ", "")))
        if policy.effective_from:
            version_line = w._(
                "Version %(version)s, in force from %(date)s.",
                version=policy.version,
                date=w.date(policy.effective_from),
            )
        else:
            version_line = w._("Version %(version)s.", version=policy.version)
        changelog = [
            ChangeView(entry.date.isoformat(), w.date(entry.date), self.text(entry.text))
            for entry in sorted(policy.changelog, key=lambda e: e.date, reverse=True)
        ]
        return NoticeView(
            lang=self.lang,
            languages=[LanguageLink(code, language_name(code)) for code in policy.languages],
            organisation=org.name,
            version=policy.version,
            version_line=version_line,
            intro=w._(
                "This notice explains how %(organisation)s processes personal data about you: what we "
                "process, why, on which legal basis, how long we keep it, who receives it and what rights "
                "you have.",
                organisation=org.name,
            ),
            responsible=responsible,
            controllers=controllers,
            joint=joint,
            joint_rights=w._("You can use your rights with each of the joint controllers.")
            if joint
            else None,
            dpo=dpo,
            contact=self.contact(org.contact),
            purposes=[self.purpose(p) for p in policy.purposes],
            rights=self.rights(),
            how_to=self.how_to(),
            changelog=changelog,
        )


def _decapitalise(text: str) -> str:
    """Lower-case the first letter of a common noun used mid-sentence ("Sendinger" → "sendinger"), but
    leave acronyms and proper nouns that start with two capitals alone ("CRM-data")."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _approximate_days(iso: str) -> float:
    return sum(int(n) * _DAYS_PER_UNIT[unit] for n, unit in _DURATION_PARTS.findall(iso))


def build_notice(policy: Policy, lang: str) -> NoticeView:
    """The notice as view objects with finished sentences (for templates, exports and tests)."""
    check_language(policy, lang)
    return _Builder(policy, lang).build()


def retention_in_words(policy: Policy, purpose: Purpose, lang: str) -> list[str]:
    """Every retention rule of `purpose` as a sentence, in rule order (used by the record of processing)."""
    return [line.text for line in _Builder(policy, lang).retention(purpose)]


# --- templates -------------------------------------------------------------------------------------------


def _md_escape(value: object) -> str:
    """Escape the characters that would turn policy text into Markdown or HTML markup."""
    return _MD_SPECIAL.sub(r"\\\1", str(value))


@cache
def _environment(lang: str) -> Environment:
    """One environment per language, so that each has its own gettext and rendering is thread-safe."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["md"] = _md_escape
    return env


@lru_cache(maxsize=1)
def notice_css() -> str:
    """The notice's stylesheet: inlined into a standalone notice, served by the web app for its page."""
    return (TEMPLATES_DIR / "notice.css").read_text(encoding="utf-8")


def render_notice(policy: Policy, lang: str, fmt: str = "html", *, standalone: bool = True) -> str:
    """The privacy notice in `lang` as HTML or Markdown.

    HTML is a complete accessible document when `standalone` (the CLI's output, which must work as a file
    on its own), or only the `<article>` when the web app wraps it in its page. Raises
    `ValidationFailedError` for a language the policy does not declare or an unknown format.
    """
    if fmt not in FORMATS:
        raise ValidationFailedError(
            f"unknown notice format '{fmt}' (use html or md)", details={"field": "format"}
        )
    view = build_notice(policy, lang)
    env = _environment(lang)
    if fmt == "md":
        return env.get_template("notice.md.j2").render(n=view)
    template = "notice.html.j2" if standalone else "notice_article.html.j2"
    return env.get_template(template).render(n=view, css=notice_css())
