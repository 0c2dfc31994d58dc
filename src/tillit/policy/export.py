"""Export the policy for other tools and for the authorities: a fideslang manifest and a GDPR Art. 30 record.

- **fides**: a fideslang manifest (organization, the pack's own data categories and data subjects and
  uses that extend the default taxonomy, one system whose privacy declarations are the purposes, and a
  dataset per declared dataset). It is checked against fideslang's own pydantic models before it is
  returned, so an export that Fides would reject never leaves tillit.
- **ropa**: the record of processing activities of Art. 30(1): one row per purpose with the controller,
  the DPO, the purpose, the legal basis with its article, the categories of subjects and data, the
  recipients, transfers to third countries with their safeguards, the retention in words and a reference
  to the technical and organisational measures. As CSV (for a spreadsheet) and JSON (for a machine).

Fides text is English when the policy has English (the Fides world is English); the record of processing
is written in the language asked for, by default the policy's own default language.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from tillit.core.errors import ValidationFailedError
from tillit.policy.i18n import ART9_CONDITIONS, N_, TRANSFER_SAFEGUARDS, Wording
from tillit.policy.render import check_language, retention_in_words
from tillit.policy.schema import EEA_COUNTRIES, LEGAL_BASIS_ARTICLE, LocalText, Policy, Purpose

ExportFormat = Literal["fides", "ropa"]
EXPORT_FORMATS: tuple[str, ...] = ("fides", "ropa")

_FIDES_LEGAL_BASIS = {
    "consent": "Consent",
    "contract": "Contract",
    "legal_obligation": "Legal obligations",
    "vital_interests": "Vital interests",
    "public_task": "Public interest",
    "legitimate_interests": "Legitimate interests",
}
_FIDES_ART9 = {
    "explicit_consent": "Explicit consent",
    "employment_law": "Employment, social security and social protection",
    "vital_interests": "Vital interests",
    "not_for_profit": "Not-for-profit bodies",
    "made_public": "Made public by the data subject",
    "legal_claims": "Legal claims or judicial acts",
    "substantial_public_interest": "Reasons of substantial public interest (with a basis in law)",
    "health_care": "Health or social care (with a basis in law)",
    "public_health": "Public health (with a basis in law)",
    "archiving_research": "Archiving, research and statistics (with a basis in law)",
}
_FIDES_TRANSFER = {"adequacy": "Adequacy Decision", "scc": "SCCs", "bcr": "BCRs", "derogation": "Other"}
_FIDES_IDENTITY = {"email": "email", "phone": "phone_number"}
_SHARING_ROLES = frozenset({"controller", "joint_controller", "authority", "third_party"})
_FIDES_KEY = re.compile(r"[^A-Za-z0-9_.<>-]+")

ROPA_COLUMNS: tuple[str, ...] = (
    "controller",
    "controller_contact",
    "joint_controllers",
    "dpo",
    "purpose_id",
    "purpose",
    "description",
    "legal_basis",
    "legal_basis_article",
    "legitimate_interest",
    "legal_obligation",
    "special_category_condition",
    "data_subject_categories",
    "data_categories",
    "recipients",
    "third_country_transfers",
    "transfer_safeguards",
    "retention",
    "sources",
    "toms",
    "policy_version",
)
"""Columns of the record of processing (CSV header and JSON keys), stable for the people who import it."""

TOMS_REFERENCE = N_(
    "tillit security baseline (docs/security.md): role- and purpose-based access control; every read of "
    "personal data by staff in a hash-chained audit log; national identity numbers encrypted at rest; "
    "retention enforced automatically with proof of deletion; personal data masked before analytics and "
    "language models."
)
"""Art. 30(1)(g): the general description of technical and organisational measures (Art. 32(1))."""


def _fides_key(value: str) -> str:
    return _FIDES_KEY.sub("_", value).strip("_") or "tillit"


class _Texts:
    """Pick a policy text in one language, falling back to the default language, then to any."""

    def __init__(self, policy: Policy, lang: str) -> None:
        self.lang = lang
        self.default = policy.organisation.default_language

    def __call__(self, local: LocalText | None) -> str:
        if not local:
            return ""
        return local.get(self.lang) or local.get(self.default) or next(iter(local.values()), "")


# --- fides ---------------------------------------------------------------------------------------------


def _default_taxonomy_keys() -> tuple[set[str], set[str], set[str]]:
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return (
        {c.fides_key for c in DEFAULT_TAXONOMY.data_category},
        {u.fides_key for u in DEFAULT_TAXONOMY.data_use},
        {s.fides_key for s in DEFAULT_TAXONOMY.data_subject},
    )


def fides_data_use(purpose: Purpose) -> str:
    """The purpose's fideslang data use; without one, a broad use that follows from what the purpose is."""
    if purpose.fides_data_use:
        return purpose.fides_data_use
    if purpose.direct_marketing:
        return "marketing.communications"
    if purpose.legal_basis == "legal_obligation":
        return "essential.legal_obligation"
    return "essential.service"


def fides_category_keys(policy: Policy) -> Callable[[str], str]:
    """Map tillit category keys to fideslang keys. Fideslang requires a key to extend its parent's key
    (`user.content.private.chat_log` under `user.content.private`), while a pack may name a category
    `user.content.chat_log` with parent `user.content.private`; such keys are re-rooted under their parent
    (recursively, for pack categories under pack categories) and the original key is kept as a tag."""
    parents = {c.key: c.parent for c in policy.data_categories}

    @cache
    def key_of(key: str) -> str:
        parent = parents.get(key)
        if parent is None:
            return key
        fides_parent = key_of(parent)
        if key.rsplit(".", 1)[0] == fides_parent:
            return key
        return f"{fides_parent}.{key.rsplit('.', 1)[-1]}"

    return key_of


def fides_manifest(policy: Policy) -> dict[str, Any]:
    """The policy as a fideslang manifest (a `Taxonomy`), validated with fideslang's models."""
    from fideslang.models import Taxonomy

    lang = "en" if "en" in policy.languages else policy.organisation.default_language
    text = _Texts(policy, lang)
    org = policy.organisation
    org_key = _fides_key(policy.pack)
    default_categories, default_uses, default_subjects = _default_taxonomy_keys()

    def owned(entry: dict[str, Any]) -> dict[str, Any]:
        return {"organization_fides_key": org_key, **entry}

    category_key = fides_category_keys(policy)
    data_categories = [
        owned(
            {
                "fides_key": category_key(c.key),
                "name": text(c.name),
                "description": text(c.description) or text(c.name),
                "parent_key": category_key(c.parent),
                "tags": [f"tillit:{c.key}"],
            }
        )
        for c in policy.data_categories
        if c.key not in default_categories
    ]
    data_subjects = [
        owned({"fides_key": s.key, "name": text(s.name), "description": text(s.name)})
        for s in policy.data_subjects
        if s.key not in default_subjects
    ]
    data_uses: list[dict[str, Any]] = []
    for purpose in policy.purposes:
        use = fides_data_use(purpose)
        if use not in default_uses and all(u["fides_key"] != use for u in data_uses):
            parent = use.rsplit(".", 1)[0] if "." in use else None
            data_uses.append(
                owned(
                    {
                        "fides_key": use,
                        "name": text(purpose.name),
                        "description": text(purpose.description),
                        "parent_key": parent if parent in default_uses else None,
                    }
                )
            )

    declarations = []
    for purpose in policy.purposes:
        recipients = [r for r in (policy.recipient(i) for i in purpose.recipients) if r is not None]
        shared = [r for r in recipients if r.role in _SHARING_ROLES]
        dataset_refs = [d.id for d in policy.datasets if purpose.id in d.purposes]
        declarations.append(
            {
                "name": text(purpose.name),
                "data_categories": [category_key(c) for c in purpose.data_categories],
                "data_use": fides_data_use(purpose),
                "data_subjects": list(purpose.data_subjects),
                "dataset_references": dataset_refs or None,
                "flexible_legal_basis_for_processing": False,
                "legal_basis_for_processing": _FIDES_LEGAL_BASIS[purpose.legal_basis],
                "retention_period": "; ".join(retention_in_words(policy, purpose, lang)),
                "processes_special_category_data": purpose.art9_condition is not None,
                "special_category_legal_basis": _FIDES_ART9.get(purpose.art9_condition or ""),
                "data_shared_with_third_parties": bool(shared),
                "third_parties": ", ".join(r.name for r in shared) or None,
                "shared_categories": [category_key(c) for c in purpose.data_categories] if shared else [],
            }
        )

    transfers = sorted(
        {
            _FIDES_TRANSFER[r.transfer_safeguard]
            for r in policy.recipients
            if r.country not in EEA_COUNTRIES and r.transfer_safeguard
        }
    )
    outside_eea = any(r.country not in EEA_COUNTRIES for r in policy.recipients)
    controller_names = {c.id: c.name for c in policy.controllers}
    joint = [
        f"{text(p.name)}: " + ", ".join(controller_names.get(c, c) for c in p.controllers)
        for p in policy.purposes
        if p.joint
    ]
    system = owned(
        {
            "fides_key": f"{org_key}_tillit",
            "name": f"tillit ({org.name})",
            "description": f"Customer conversations, consent, marketing and rights for {org.name}",
            "system_type": "Service",
            "privacy_declarations": declarations,
            "dataset_references": [d.id for d in policy.datasets],
            "processes_personal_data": True,
            "does_international_transfers": outside_eea,
            "legal_basis_for_transfers": transfers,
            "legal_name": policy.controllers[0].name,
            "dpo": org.dpo.email,
            "responsibility": ["Controller"],
            "joint_controller_info": "; ".join(joint) or None,
            "data_security_practices": TOMS_REFERENCE,
            "uses_profiling": any("profiling" in fides_data_use(p) for p in policy.purposes),
            "privacy_policy": org.rights_url,
        }
    )

    datasets: list[dict[str, Any]] = []
    for dataset in policy.datasets:
        identities = {i.column: i.kind for i in dataset.identity}
        fields: list[dict[str, Any]] = []
        columns = list(dataset.fields) + [c for c in identities if c not in dataset.fields]
        for column in columns:
            meta: dict[str, Any] = {}
            if column in identities:
                meta["identity"] = _FIDES_IDENTITY.get(identities[column], identities[column])
            if column == dataset.primary_key:
                meta["primary_key"] = True
            entry: dict[str, Any] = {"name": column}
            if column in dataset.fields:
                entry["data_categories"] = [category_key(dataset.fields[column])]
            if meta:
                entry["fides_meta"] = meta
            fields.append(entry)
        datasets.append(
            owned(
                {
                    "fides_key": dataset.id,
                    "name": text(dataset.name),
                    "description": f"{text(dataset.name)} (table {dataset.table})",
                    "data_categories": sorted({category_key(c) for c in dataset.fields.values()}),
                    "collections": [{"name": dataset.table, "fields": fields}],
                }
            )
        )

    manifest: dict[str, Any] = {
        "organization": [
            {
                "fides_key": org_key,
                "name": org.name,
                "description": f"Privacy policy version {policy.version} ({policy.pack})",
                "controller": {
                    "name": policy.controllers[0].name,
                    "address": org.contact.address or "",
                    "email": org.contact.email or "",
                    "phone": org.contact.phone or "",
                },
                "data_protection_officer": {
                    "name": org.dpo.name or "",
                    "address": "",
                    "email": org.dpo.email,
                    "phone": org.dpo.phone or "",
                },
            }
        ],
        "data_category": data_categories,
        "data_subject": data_subjects,
        "data_use": data_uses,
        "system": [system],
        "dataset": datasets,
    }
    Taxonomy.model_validate(manifest)
    return manifest


def fides_yaml(policy: Policy) -> str:
    return yaml.safe_dump(fides_manifest(policy), sort_keys=False, allow_unicode=True, width=110)


# --- record of processing --------------------------------------------------------------------------------


def _contact_line(*parts: str | None) -> str:
    return ", ".join(p for p in parts if p)


def ropa_rows(policy: Policy, lang: str | None = None) -> list[dict[str, str]]:
    """One Art. 30(1) row per purpose, in `lang` (default: the policy's default language)."""
    lang = lang or policy.organisation.default_language
    check_language(policy, lang)
    w = Wording(lang)
    text = _Texts(policy, lang)
    org = policy.organisation
    controllers = {c.id: c for c in policy.controllers}
    subject_names = {s.key: text(s.name) for s in policy.data_subjects}
    category_names = {c.key: text(c.name) for c in policy.data_categories}
    source_names = {s.id: text(s.name) for s in policy.sources}
    main = policy.controllers[0]
    dpo = _contact_line(org.dpo.name, org.dpo.email, org.dpo.phone)
    rows = []
    for purpose in policy.purposes:
        owners = [controllers[c] for c in purpose.controllers if c in controllers] or [main]
        recipients = [r for r in (policy.recipient(i) for i in purpose.recipients) if r is not None]
        outside = [r for r in recipients if r.country not in EEA_COUNTRIES]
        safeguards = []
        for r in outside:
            if r.transfer_safeguard:
                name, article = TRANSFER_SAFEGUARDS[r.transfer_safeguard]
                safeguards.append(f"{r.name}: {w._(name)} ({w.article(article)})")
            else:
                safeguards.append(f"{r.name}: -")
        special = ""
        if purpose.art9_condition:
            name, article = ART9_CONDITIONS[purpose.art9_condition]
            special = f"{w._(name)} ({w.article(article)})"
        rows.append(
            {
                "controller": " / ".join(
                    _contact_line(c.name, c.org_number, w.country(c.country)) for c in owners
                ),
                "controller_contact": _contact_line(
                    org.contact.email, org.contact.phone, org.contact.address
                ),
                "joint_controllers": ", ".join(c.name for c in owners) if purpose.joint else "",
                "dpo": dpo,
                "purpose_id": purpose.id,
                "purpose": text(purpose.name),
                "description": text(purpose.description),
                "legal_basis": w.legal_basis(purpose.legal_basis),
                "legal_basis_article": w.article(LEGAL_BASIS_ARTICLE[purpose.legal_basis]),
                "legitimate_interest": text(purpose.legitimate_interest),
                "legal_obligation": text(purpose.legal_obligation),
                "special_category_condition": special,
                "data_subject_categories": "; ".join(subject_names.get(s, s) for s in purpose.data_subjects),
                "data_categories": "; ".join(
                    category_names.get(c) or w.category(c) for c in purpose.data_categories
                ),
                "recipients": "; ".join(
                    f"{r.name} ({w.role(r.role)}, {w.country(r.country)}): {text(r.service)}"
                    for r in recipients
                ),
                "third_country_transfers": "; ".join(f"{r.name} ({w.country(r.country)})" for r in outside),
                "transfer_safeguards": "; ".join(safeguards),
                "retention": "; ".join(retention_in_words(policy, purpose, lang)),
                "sources": "; ".join(source_names.get(s, s) for s in purpose.sources),
                "toms": w._(TOMS_REFERENCE),
                "policy_version": policy.version,
            }
        )
    return rows


def ropa_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(ROPA_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def ropa_document(policy: Policy, lang: str | None = None) -> dict[str, Any]:
    """The record of processing as JSON: who keeps it, in which language, and one record per purpose."""
    lang = lang or policy.organisation.default_language
    org = policy.organisation
    return {
        "record_of_processing": "GDPR Art. 30(1)",
        "organisation": org.name,
        "org_number": org.org_number,
        "pack": policy.pack,
        "policy_version": policy.version,
        "effective_from": policy.effective_from.isoformat() if policy.effective_from else None,
        "language": lang,
        "columns": list(ROPA_COLUMNS),
        "records": ropa_rows(policy, lang),
    }


def ropa_json(policy: Policy, lang: str | None = None) -> str:
    return json.dumps(ropa_document(policy, lang), ensure_ascii=False, indent=2) + "\n"


# --- files -----------------------------------------------------------------------------------------------


def write_export(policy: Policy, fmt: str, out_dir: Path, lang: str | None = None) -> list[Path]:
    """Write the export into `out_dir` (created if missing) and return the files written:
    fides → `<pack>-fides.yaml`; ropa → `<pack>-ropa.csv` and `<pack>-ropa.json`."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationFailedError(f"unknown export format '{fmt}' (use fides or ropa)")
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "fides":
        path = out_dir / f"{policy.pack}-fides.yaml"
        path.write_text(fides_yaml(policy), encoding="utf-8")
        return [path]
    rows_lang = lang or policy.organisation.default_language
    csv_path = out_dir / f"{policy.pack}-ropa.csv"
    json_path = out_dir / f"{policy.pack}-ropa.json"
    csv_path.write_text(ropa_csv(ropa_rows(policy, rows_lang)), encoding="utf-8")
    json_path.write_text(ropa_json(policy, rows_lang), encoding="utf-8")
    return [csv_path, json_path]
