"""Exports: a fideslang manifest that fideslang's own models accept, and the Art. 30 record of processing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from fideslang.models import Taxonomy

from tillit.core.errors import ValidationFailedError
from tillit.policy import export
from tillit.policy.loader import available_packs, load_file, load_pack
from tillit.policy.schema import EEA_COUNTRIES, Policy

MINIMAL = Path(__file__).resolve().parents[2] / "fixtures" / "policies" / "minimal.yaml"
POLICIES = ["minimal", *available_packs()]


def policy_named(name: str) -> Policy:
    return load_file(MINIMAL).policy if name == "minimal" else load_pack(name).policy


# --- fides ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", POLICIES)
def test_fides_manifest_validates_with_fideslang_models(name: str, tmp_path: Path) -> None:
    policy = policy_named(name)
    [path] = export.write_export(policy, "fides", tmp_path)
    assert path.name == f"{policy.pack}-fides.yaml"
    taxonomy = Taxonomy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))

    [organization] = taxonomy.organization
    assert organization.name == policy.organisation.name
    assert organization.data_protection_officer.email == policy.organisation.dpo.email
    [system] = taxonomy.system
    assert sorted(d.name for d in system.privacy_declarations) == sorted(  # fideslang sorts them by name
        p.name.get("en") or p.name[policy.organisation.default_language] for p in policy.purposes
    )
    assert system.dataset_references == [d.id for d in policy.datasets]
    assert [d.fides_key for d in taxonomy.dataset] == [d.id for d in policy.datasets]
    outside = any(r.country not in EEA_COUNTRIES for r in policy.recipients)
    assert system.does_international_transfers is outside


@pytest.mark.parametrize("name", POLICIES)
def test_fides_references_resolve_against_the_default_taxonomy_or_the_manifest(name: str) -> None:
    """Pydantic checks shapes only; a declaration naming a category nobody defines is still wrong."""
    policy = policy_named(name)
    taxonomy = Taxonomy.model_validate(export.fides_manifest(policy))
    categories = {c.fides_key for c in DEFAULT_TAXONOMY.data_category} | {
        c.fides_key for c in taxonomy.data_category
    }
    uses = {u.fides_key for u in DEFAULT_TAXONOMY.data_use} | {u.fides_key for u in taxonomy.data_use}
    subjects = {s.fides_key for s in DEFAULT_TAXONOMY.data_subject} | {
        s.fides_key for s in taxonomy.data_subject
    }
    for category in taxonomy.data_category:
        assert category.parent_key in categories, category.fides_key
        assert category.fides_key.rsplit(".", 1)[0] == category.parent_key
    [system] = taxonomy.system
    for declaration in system.privacy_declarations:
        assert set(declaration.data_categories) <= categories, declaration.name
        assert declaration.data_use in uses, declaration.name
        assert set(declaration.data_subjects) <= subjects, declaration.name
        assert declaration.legal_basis_for_processing is not None
        assert declaration.retention_period
    for dataset in taxonomy.dataset:
        for collection in dataset.collections:
            for field in collection.fields:
                assert set(field.data_categories or []) <= categories, (dataset.fides_key, field.name)


def test_fides_declaration_carries_the_purpose(tmp_path: Path) -> None:
    policy = load_file(MINIMAL).policy
    manifest = export.fides_manifest(policy)
    [declaration] = manifest["system"][0]["privacy_declarations"]
    assert declaration == {
        **declaration,
        "name": "Customer service",
        "data_use": "essential.service.operations.support",
        "data_subjects": ["customer"],
        "legal_basis_for_processing": "Contract",
        "retention_period": "5 years after the conversation ended, if you have talked to an advisor; "
        "In other cases: 1 year after the conversation ended",
    }
    # The pack's own category `user.content.chat_log` (parent user.content.private) is re-rooted so that
    # fideslang accepts it, and keeps its tillit key as a tag.
    [category] = manifest["data_category"]
    assert category["fides_key"] == "user.content.private.chat_log"
    assert category["tags"] == ["tillit:user.content.chat_log"]
    assert declaration["data_categories"] == ["user.content.private.chat_log", "user.contact.email"]


def test_an_unknown_export_format_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailedError):
        export.write_export(load_file(MINIMAL).policy, "xlsx", tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- record of processing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", POLICIES)
def test_ropa_csv_and_json_have_the_columns_and_one_row_per_purpose(name: str, tmp_path: Path) -> None:
    policy = policy_named(name)
    csv_path, json_path = export.write_export(policy, "ropa", tmp_path)
    assert (csv_path.name, json_path.name) == (f"{policy.pack}-ropa.csv", f"{policy.pack}-ropa.json")

    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    document = json.loads(json_path.read_text(encoding="utf-8"))
    assert list(rows[0].keys()) == list(export.ROPA_COLUMNS)
    assert document["columns"] == list(export.ROPA_COLUMNS)
    assert [r["purpose_id"] for r in rows] == [p.id for p in policy.purposes]
    assert [r["purpose_id"] for r in document["records"]] == [p.id for p in policy.purposes]
    assert document["language"] == policy.organisation.default_language
    for row in rows:
        for column in (
            "controller",
            "dpo",
            "purpose",
            "legal_basis",
            "legal_basis_article",
            "retention",
            "toms",
        ):
            assert row[column], (row["purpose_id"], column)
        assert row["data_categories"] and row["data_subject_categories"]
        assert row["policy_version"] == policy.version
    for purpose, row in zip(policy.purposes, rows, strict=True):
        transfers = [
            r
            for r in (policy.recipient(i) for i in purpose.recipients)
            if r is not None and r.country not in EEA_COUNTRIES
        ]
        assert bool(row["third_country_transfers"]) == bool(transfers), purpose.id
        assert bool(row["transfer_safeguards"]) == bool(transfers), purpose.id


def test_ropa_row_in_words_and_with_articles() -> None:
    policy = load_file(MINIMAL).policy
    [nb] = export.ropa_rows(policy)
    assert nb["controller"] == "Eksempel AS, Norge"
    assert nb["dpo"] == "personvernombud@example.com"
    assert nb["legal_basis"] == "Oppfyllelse av en avtale med deg"
    assert nb["legal_basis_article"] == "GDPR art. 6 nr. 1 bokstav b"
    assert nb["data_categories"] == "Chatlogger; E-postadresse"
    assert nb["data_subject_categories"] == "Kunder"
    assert nb["recipients"] == "Chatvendor AS (databehandler, Norge): Drift av chatboten"
    assert nb["retention"] == (
        "5 år etter at samtalen ble avsluttet, hvis du har snakket med en rådgiver; "
        "I andre tilfeller: 1 år etter at samtalen ble avsluttet"
    )
    assert nb["third_country_transfers"] == ""
    assert "docs/security.md" in nb["toms"]
    [en] = export.ropa_rows(policy, "en")
    assert en["legal_basis_article"] == "Article 6(1)(b) GDPR"
    with pytest.raises(ValidationFailedError):
        export.ropa_rows(policy, "sv")


def test_ropa_names_transfers_and_safeguards() -> None:
    saas = load_pack("saas").policy if "saas" in available_packs() else None
    if saas is None:
        pytest.skip("the saas pack is not present")
    rows = {r["purpose_id"]: r for r in export.ropa_rows(saas, "en")}
    with_transfer = [r for r in rows.values() if r["third_country_transfers"]]
    assert with_transfer, "the saas pack sends data to the United States"
    for row in with_transfer:
        assert "United States" in row["third_country_transfers"]
        assert "the EU standard contractual clauses (Article 46(2)(c) GDPR)" in row["transfer_safeguards"]
