"""Identity and reference rules: ids are unique, and every name a purpose or dataset uses is declared.

A dangling reference is the silent kind of wrong: the notice would promise a recipient nobody declared, or
the engine would look for a purpose that does not exist. These rules turn both into a line to fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tillit.policy.lint_rules._base import (
    FIDES_DEPRECATED_USES,
    FIDES_USES,
    Known,
    RuleSet,
    at,
    listing,
    suggest,
)
from tillit.policy.loader import PathKey, PolicyDocument, Problem
from tillit.policy.schema import RECORD_KINDS, Policy

rules = RuleSet()

_PROCESSOR_ROLES = frozenset({"processor", "sub_processor"})


def _duplicates(
    values: Sequence[tuple[str, PathKey]], noun: str, document: PolicyDocument
) -> Iterator[Problem]:
    first: dict[str, PathKey] = {}
    for value, path in values:
        if value in first:
            yield at(path, f"{noun} '{value}' is already used on line {document.line_of(first[value])}")
        else:
            first[value] = path


@rules.rule(
    "duplicate-id",
    "ids of purposes, datasets, recipients, controllers, categories, subjects, sources "
    "and dataset tables are unique",
)
def duplicate_ids(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    sections: list[tuple[str, str, str, list[str]]] = [
        ("controllers", "id", "id", [c.id for c in policy.controllers]),
        ("recipients", "id", "id", [r.id for r in policy.recipients]),
        ("data_subjects", "key", "key", [s.key for s in policy.data_subjects]),
        ("sources", "id", "id", [s.id for s in policy.sources]),
        ("purposes", "id", "id", [p.id for p in policy.purposes]),
        ("datasets", "id", "id", [d.id for d in policy.datasets]),
    ]
    for section, key, noun, ids in sections:
        yield from _duplicates([(v, (section, i, key)) for i, v in enumerate(ids)], noun, document)
    categories = [(c.key, ("data_categories", i, "key")) for i, c in enumerate(policy.data_categories)]
    yield from _duplicates(categories, "key", document)
    tables = [(d.table, ("datasets", i, "table")) for i, d in enumerate(policy.datasets)]
    yield from _duplicates(tables, "table", document)
    for index, dataset in enumerate(policy.datasets):
        if dataset.id in RECORD_KINDS:
            yield at(
                ("datasets", index, "id"),
                f"dataset id '{dataset.id}' is also a tillit record kind; purposes could not tell them apart",
            )


@rules.rule("duplicate-entry", "a list in a purpose or dataset names the same thing twice", "warning")
def duplicate_entries(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    lists = (
        "controllers",
        "channels",
        "data_categories",
        "data_subjects",
        "sources",
        "recipients",
        "records",
    )
    for index, purpose in enumerate(policy.purposes):
        for key in lists:
            seen: set[str] = set()
            for position, value in enumerate(getattr(purpose, key)):
                if value in seen:
                    yield at(("purposes", index, key, position), f"{key} lists '{value}' twice")
                seen.add(value)
    for index, dataset in enumerate(policy.datasets):
        seen = set()
        for position, value in enumerate(dataset.purposes):
            if value in seen:
                yield at(("datasets", index, "purposes", position), f"purposes lists '{value}' twice")
            seen.add(value)


def _unknown(path: PathKey, noun: str, value: str, known: frozenset[str], where: str) -> Problem:
    return at(path, f"unknown {noun} '{value}'{suggest(value, known)}: declare it under {where}")


@rules.rule("unknown-controller", "a purpose's controllers are declared under controllers")
def unknown_controllers(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        for position, value in enumerate(purpose.controllers):
            if value not in known.controllers:
                path = ("purposes", index, "controllers", position)
                yield _unknown(path, "controller", value, known.controllers, "controllers")


@rules.rule("unknown-recipient", "a purpose's recipients are declared under recipients")
def unknown_recipients(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        for position, value in enumerate(purpose.recipients):
            if value not in known.recipients:
                path = ("purposes", index, "recipients", position)
                yield _unknown(path, "recipient", value, known.recipients, "recipients")


@rules.rule(
    "unknown-data-subject", "a purpose's data subjects are fideslang subjects or declared by the pack"
)
def unknown_subjects(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        for position, value in enumerate(purpose.data_subjects):
            if value not in known.subjects:
                path = ("purposes", index, "data_subjects", position)
                where = "data_subjects (or use a fideslang subject such as customer or prospect)"
                yield _unknown(path, "data subject", value, known.subjects, where)


@rules.rule("unknown-source", "the sources of purposes and datasets are declared under sources")
def unknown_sources(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        for position, value in enumerate(purpose.sources):
            if value not in known.sources:
                yield _unknown(
                    ("purposes", index, "sources", position), "source", value, known.sources, "sources"
                )
    for index, dataset in enumerate(policy.datasets):
        if dataset.source is not None and dataset.source not in known.sources:
            path = ("datasets", index, "source")
            yield _unknown(path, "source", dataset.source, known.sources, "sources")


@rules.rule("unknown-purpose", "a dataset's purposes are declared under purposes")
def unknown_purposes(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, dataset in enumerate(policy.datasets):
        for position, value in enumerate(dataset.purposes):
            if value not in known.purposes:
                path = ("datasets", index, "purposes", position)
                yield _unknown(path, "purpose", value, known.purposes, "purposes")


@rules.rule("record-kind-unknown", "the record kinds a purpose holds are tillit kinds or dataset ids")
def unknown_record_kinds(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        for position, value in enumerate(purpose.records):
            if value not in known.record_kinds:
                yield at(
                    ("purposes", index, "records", position),
                    f"unknown record kind '{value}'{suggest(value, known.record_kinds)}: records lists "
                    f"tillit record kinds ({listing(RECORD_KINDS)}) or dataset ids",
                )


@rules.rule("fides-data-use-unknown", "fides_data_use, when given, is a fideslang data use")
def unknown_data_uses(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        use = purpose.fides_data_use
        if use is not None and use not in FIDES_USES:
            yield at(
                ("purposes", index, "fides_data_use"),
                f"'{use}' is not a fideslang data use{suggest(use, FIDES_USES)}",
            )


@rules.rule("fides-data-use-deprecated", "fides_data_use is not deprecated in fideslang", "warning")
def deprecated_data_uses(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        if purpose.fides_data_use in FIDES_DEPRECATED_USES:
            yield at(
                ("purposes", index, "fides_data_use"),
                f"fideslang data use '{purpose.fides_data_use}' is deprecated: "
                "exports would carry an outdated key",
            )


@rules.rule("processor-unused", "every processor or sub-processor serves at least one purpose", "warning")
def unused_processors(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    used = {recipient for purpose in policy.purposes for recipient in purpose.recipients}
    for index, recipient in enumerate(policy.recipients):
        if recipient.role in _PROCESSOR_ROLES and recipient.id not in used:
            yield at(
                ("recipients", index, "id"),
                f"{recipient.role.replace('_', '-')} '{recipient.id}' is used by no purpose: list it in the "
                "recipients of the purposes it serves, or remove it",
            )
