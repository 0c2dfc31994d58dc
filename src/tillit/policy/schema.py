"""The policy register's schema: what one organisation promises in its privacy notice, as data.

A policy file (YAML) is validated into `Policy`. Unknown keys are rejected everywhere (`extra="forbid"`)
so that a typo never silently drops a promise. Cross-references (a purpose naming a recipient, a dataset
naming a purpose) are checked by the lint rules in `lint.py`, which report the line of the offending key.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

import isodate
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Language = Literal["nb", "sv", "da", "en", "fi", "nn"]
LocalText = dict[str, str]
"""Text per language, e.g. `{"nb": "Kundeservice", "en": "Customer service"}`."""

LegalBasis = Literal[
    "consent",  # Art. 6(1)(a)
    "contract",  # Art. 6(1)(b)
    "legal_obligation",  # Art. 6(1)(c)
    "vital_interests",  # Art. 6(1)(d)
    "public_task",  # Art. 6(1)(e)
    "legitimate_interests",  # Art. 6(1)(f)
]
LEGAL_BASIS_ARTICLE: dict[str, str] = {
    "consent": "6(1)(a)",
    "contract": "6(1)(b)",
    "legal_obligation": "6(1)(c)",
    "vital_interests": "6(1)(d)",
    "public_task": "6(1)(e)",
    "legitimate_interests": "6(1)(f)",
}

Art9Condition = Literal[
    "explicit_consent",  # 9(2)(a)
    "employment_law",  # 9(2)(b)
    "vital_interests",  # 9(2)(c)
    "not_for_profit",  # 9(2)(d)
    "made_public",  # 9(2)(e)
    "legal_claims",  # 9(2)(f)
    "substantial_public_interest",  # 9(2)(g)
    "health_care",  # 9(2)(h)
    "public_health",  # 9(2)(i)
    "archiving_research",  # 9(2)(j)
]

Channel = Literal[
    "chat",
    "phone",
    "email",
    "sms",
    "letter",
    "online_bank",
    "app",
    "social",
    "web",
    "event",
    "external_channels",
    "in_person",
]
RecipientRole = Literal[
    "processor", "sub_processor", "controller", "joint_controller", "authority", "third_party"
]
TransferSafeguard = Literal["adequacy", "scc", "bcr", "derogation"]
RetentionAction = Literal["delete", "anonymise"]
SourceKind = Literal["subject", "automatic", "third_party"]
IdentityKind = Literal["customer_number", "national_id", "email", "phone", "subject_id", "shipment_number"]
SelfServiceAction = Literal["view", "download", "delete"]
"""What a data subject can do themselves with a record a purpose holds (e.g. download or delete a chat)."""
StaffRole = Literal["advisor", "supervisor", "marketing", "dpo", "security_officer", "admin"]

RECORD_KINDS: frozenset[str] = frozenset(
    {
        "conversation",  # a chat, call, letter or e-mail thread with its messages
        "conversation_ip",  # the IP address of an anonymous or logged-in chat, held on its own
        "handoff_contact",  # name, e-mail and phone given while waiting for an advisor
        "feedback",  # the voluntary answer after a closed conversation
        "subject",  # the data subject and their identifiers
        "consent_record",  # consent ledger events
        "rights_request",  # a data-subject request and its evidence
        "matching_export",  # a hashed contact list sent to an external channel for customer matching
        "marketing_send",  # one entry of tillit's marketing send log: who got which campaign, response
    }
)
"""Kinds of records stored in tillit's own tables that a purpose may hold. Dataset ids are kinds too."""

COMMON_FACTS: frozenset[str] = frozenset({"record_kind", "created_at", "subject_kind"})
"""Facts every record has; `record_kind` lets one purpose keep different kinds for different periods.
`subject_kind` is the data-subject key (e.g. `customer`, `business_user`) of the person the record is
about, when known: it lets a notice give private and business customers different legal bases."""

RECORD_FACTS: dict[str, frozenset[str]] = {
    "conversation": frozenset(
        {
            "channel",
            "closed_at",
            "last_message_at",
            "authenticated",
            "had_advisor",
            "complaint",
            "advisory",
            "deleted_by_customer",
        }
    ),
    "conversation_ip": frozenset({"authenticated", "closed_at", "last_message_at", "deleted_by_customer"}),
    "handoff_contact": frozenset({"closed_at", "complaint", "deleted_by_customer"}),
    "feedback": frozenset({"closed_at"}),
    "subject": frozenset({"kind", "last_seen_at", "contract_ended_at", "is_customer"}),
    "consent_record": frozenset({"last_used_at", "withdrawn_at", "state"}),
    "rights_request": frozenset({"completed_at", "kind"}),
    "matching_export": frozenset({"recipient", "matched_at"}),
    "marketing_send": frozenset({"sent_at", "channel", "campaign_kind"}),
}
"""Facts (besides COMMON_FACTS) that tillit's own record kinds offer to retention rules."""

EEA_COUNTRIES: frozenset[str] = frozenset(
    {
        # EU
        *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
        *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
        # EEA beyond the EU
        *("IS", "LI", "NO"),
    }
)
ART9_CATEGORY_PREFIXES: tuple[str, ...] = (
    "user.biometric",
    "user.health_and_medical",
    "user.demographic.political_opinion",
    "user.demographic.race_ethnicity",
    "user.demographic.religious_belief",
    "user.demographic.sexual_orientation",
    "user.authorization.biometric",
)
"""Fideslang categories that are special categories under GDPR Art. 9."""

_ID = r"^[a-z][a-z0-9_]*$"
_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(StrictModel):
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    url: str | None = None


class DPO(StrictModel):
    name: str | None = None
    email: str
    phone: str | None = None


class Organisation(StrictModel):
    name: str
    org_number: str = Field(description="Fictional organisation number")
    country: str = Field(pattern=r"^[A-Z]{2}$")
    languages: list[Language] = Field(min_length=1)
    default_language: Language
    contact: Contact
    dpo: DPO
    supervisory_authority: LocalText | None = None
    rights_url: str | None = None


class Controller(StrictModel):
    id: str = Field(pattern=_ID)
    name: str
    org_number: str | None = None
    country: str = Field(pattern=r"^[A-Z]{2}$")
    contact: Contact | None = None


class Recipient(StrictModel):
    id: str = Field(pattern=_ID)
    name: str
    role: RecipientRole
    service: LocalText
    country: str = Field(pattern=r"^[A-Z]{2}$")
    transfer_safeguard: TransferSafeguard | None = None
    callback_url: str | None = Field(default=None, description="Webhook for rectification and erasure")


class DataCategory(StrictModel):
    """A pack-specific category extending the fideslang taxonomy under `parent`."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_.]*$")
    parent: str
    name: LocalText
    description: LocalText | None = None


class DataSubject(StrictModel):
    key: str = Field(pattern=_ID)
    name: LocalText


class Source(StrictModel):
    id: str = Field(pattern=_ID)
    kind: SourceKind
    name: LocalText


FactValue = bool | str | int | list[str]


class RetentionRule(StrictModel):
    """Keep the record for `keep` after the `from_` fact, when every fact in `when` matches.

    `when` maps a fact to a value (equality) or to a list of values (membership). An empty `when`
    matches every record; the last rule of a purpose must be such a catch-all.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    when: dict[str, FactValue] = Field(default_factory=dict)
    keep: str
    from_: str = Field(default="created_at", alias="from")
    action: RetentionAction = "delete"
    note: LocalText | None = None

    @field_validator("keep")
    @classmethod
    def _iso_duration(cls, value: str) -> str:
        if not _DURATION.match(value):
            raise ValueError(f"'{value}' is not an ISO 8601 duration such as P1M, P1Y or P3Y6M")
        isodate.parse_duration(value)
        return value


class GenerativeAI(StrictModel):
    """Generated answers: the notice states their limits and the chatbot shows `disclaimer` with each one."""

    disclaimer: LocalText
    trains_model: bool = Field(
        default=False, description="Whether the subjects' data is used to train the language model"
    )


class Purpose(StrictModel):
    id: str = Field(pattern=_ID)
    name: LocalText
    description: LocalText
    legal_basis: LegalBasis
    legitimate_interest: LocalText | None = None
    legal_obligation: LocalText | None = Field(
        default=None, description="The law that obliges the processing (basis legal_obligation)"
    )
    art9_condition: Art9Condition | None = None
    withdrawal: bool = Field(default=False, description="Consent can be withdrawn at any time")
    objection: bool = Field(default=False, description="The subject may object (Art. 21)")
    opt_out: bool = Field(default=False, description="The subject may reserve per channel")
    direct_marketing: bool = False
    controllers: list[str] = Field(default_factory=list, description="More than one: joint controllers")
    controllership: Literal["joint", "independent"] = Field(
        default="joint", description="With several controllers: joint, or each responsible for its own part"
    )
    channels: list[Channel] = Field(default_factory=list)
    opt_out_channels: list[Channel] = Field(
        default_factory=list, description="Channels the subject may reserve against; empty: all `channels`"
    )
    data_categories: list[str] = Field(min_length=1)
    data_subjects: list[str] = Field(min_length=1)
    sources: list[str] = Field(default_factory=list)
    recipients: list[str] = Field(default_factory=list)
    records: list[str] = Field(default_factory=list, description="Kinds of tillit records this purpose holds")
    applies_if: dict[str, FactValue] = Field(
        default_factory=dict, description="Facts a record must have for this purpose to hold it at all"
    )
    retention: list[RetentionRule] = Field(default_factory=list)
    fides_data_use: str | None = None
    sample_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    generative_ai: GenerativeAI | None = None
    self_service: list[SelfServiceAction] = Field(
        default_factory=list, description="What the subject may do while this purpose holds a record"
    )
    staff_roles: list[StaffRole] = Field(
        default_factory=list,
        description="If set, only these staff roles may read what this purpose holds (security clearance)",
    )

    @model_validator(mode="after")
    def _opt_out_channels_are_channels(self) -> Purpose:
        unknown = [c for c in self.opt_out_channels if c not in self.channels]
        if unknown:
            raise ValueError(f"opt_out_channels {unknown} are not among the purpose's channels")
        if self.opt_out_channels and not self.opt_out:
            raise ValueError("opt_out_channels needs opt_out: true")
        return self

    @property
    def joint(self) -> bool:
        return len(self.controllers) > 1 and self.controllership == "joint"


class DatasetIdentity(StrictModel):
    column: str
    kind: IdentityKind


class Dataset(StrictModel):
    id: str = Field(pattern=_ID)
    name: LocalText
    table: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    primary_key: str = "id"
    identity: list[DatasetIdentity] = Field(min_length=1)
    fields: dict[str, str] = Field(min_length=1, description="column -> data category")
    purposes: list[str] = Field(min_length=1)
    facts: list[str] = Field(
        default_factory=list, description="Non-personal columns retention rules may read (anchors, flags)"
    )
    source: str | None = None


class ChatSettings(StrictModel):
    """How the chat is offered, where the purposes alone cannot say it."""

    advisor_requires_login: bool = Field(
        default=False, description="Chat with an advisor is offered only to logged-in customers"
    )


class ChangeLogEntry(StrictModel):
    date: date
    text: LocalText


class Policy(StrictModel):
    """One organisation's policy: the notice and the rules the engine enforces."""

    pack: str = Field(pattern=_ID)
    version: str
    effective_from: date | None = None
    organisation: Organisation
    controllers: list[Controller] = Field(min_length=1)
    recipients: list[Recipient] = Field(default_factory=list)
    data_categories: list[DataCategory] = Field(default_factory=list)
    data_subjects: list[DataSubject] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)
    purposes: list[Purpose] = Field(min_length=1)
    datasets: list[Dataset] = Field(default_factory=list)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    changelog: list[ChangeLogEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _default_language_is_a_language(self) -> Policy:
        org = self.organisation
        if org.default_language not in org.languages:
            raise ValueError(f"default_language '{org.default_language}' is not in languages")
        return self

    def purpose(self, purpose_id: str) -> Purpose:
        for purpose in self.purposes:
            if purpose.id == purpose_id:
                return purpose
        from tillit.core.errors import UnknownPurposeError

        raise UnknownPurposeError(f"unknown purpose '{purpose_id}' in policy '{self.pack}'")

    def has_purpose(self, purpose_id: str) -> bool:
        return any(p.id == purpose_id for p in self.purposes)

    def dataset(self, dataset_id: str) -> Dataset:
        for dataset in self.datasets:
            if dataset.id == dataset_id:
                return dataset
        from tillit.core.errors import NotFoundError

        raise NotFoundError(f"unknown dataset '{dataset_id}' in policy '{self.pack}'")

    def recipient(self, recipient_id: str) -> Recipient | None:
        return next((r for r in self.recipients if r.id == recipient_id), None)

    def purposes_holding(self, record_kind: str) -> list[Purpose]:
        """The purposes that may hold a record of this kind (tillit kind or dataset id)."""
        dataset_purposes: set[str] = set()
        for dataset in self.datasets:
            if dataset.id == record_kind:
                dataset_purposes.update(dataset.purposes)
        return [p for p in self.purposes if record_kind in p.records or p.id in dataset_purposes]

    @property
    def languages(self) -> list[str]:
        return list(self.organisation.languages)
