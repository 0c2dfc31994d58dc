"""Data category rules: every category is known, datasets map to categories their purposes declare, and
special categories (GDPR Art. 9) carry the condition that allows processing them.

Categories are fideslang keys or pack extensions with a `parent`; a category is covered by a purpose that
lists it or one of its ancestors, so `user.contact` in a purpose covers a dataset column of
`user.contact.email`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tillit.policy.lint_rules._base import FIDES_CATEGORIES, Known, RuleSet, at, listing, suggest
from tillit.policy.loader import PolicyDocument, Problem
from tillit.policy.schema import Policy, Purpose

rules = RuleSet()


def _unknown_category(value: str, known: Known) -> str:
    return (
        f"unknown data category '{value}'{suggest(value, known.categories)}: use a fideslang category or "
        "declare it under data_categories with a parent"
    )


@rules.rule(
    "category-unknown", "a purpose's data categories are fideslang categories or declared by the pack"
)
def unknown_purpose_categories(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        for position, value in enumerate(purpose.data_categories):
            if value not in known.categories:
                yield at(("purposes", index, "data_categories", position), _unknown_category(value, known))


@rules.rule("category-parent-unknown", "a pack category's parent exists and the parents form no cycle")
def unknown_category_parents(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, category in enumerate(policy.data_categories):
        path = ("data_categories", index, "parent")
        if category.parent not in known.categories:
            yield at(
                path,
                f"parent '{category.parent}'{suggest(category.parent, FIDES_CATEGORIES)} is neither a "
                "fideslang category nor declared under data_categories",
            )
            continue
        seen = {category.key}
        current = category.parent
        while current in known.category_parents and current not in seen:
            seen.add(current)
            current = known.category_parents[current]
        if current == category.key:
            yield at(
                path, f"parent '{category.parent}' leads back to '{category.key}': categories form a cycle"
            )


@rules.rule("dataset-field-category-unknown", "every dataset column maps to a known data category")
def unknown_field_categories(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, dataset in enumerate(policy.datasets):
        for column, category in dataset.fields.items():
            if category not in known.categories:
                yield at(
                    ("datasets", index, "fields", column),
                    f"column '{column}': " + _unknown_category(category, known),
                )


@rules.rule(
    "dataset-category-uncovered", "every category a dataset stores is listed by at least one of its purposes"
)
def uncovered_dataset_categories(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    purposes = {p.id: p for p in policy.purposes}
    for index, dataset in enumerate(policy.datasets):
        users = [purposes[p] for p in dataset.purposes if p in purposes]
        if not users:
            continue  # unknown-purpose reports the dangling names
        listed = [category for purpose in users for category in purpose.data_categories]
        for column, category in dataset.fields.items():
            if category in known.categories and not known.covered_by(category, listed):
                yield at(
                    ("datasets", index, "fields", column),
                    f"column '{column}' stores '{category}', which none of the dataset's purposes "
                    f"({listing(p.id for p in users)}) lists in data_categories",
                )


@rules.rule(
    "dataset-identity-unmapped", "a dataset's identity columns have a data category in fields", "warning"
)
def unmapped_identities(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, dataset in enumerate(policy.datasets):
        for position, identity in enumerate(dataset.identity):
            if identity.column not in dataset.fields:
                yield at(
                    ("datasets", index, "identity", position, "column"),
                    f"identity column '{identity.column}' holds personal data ({identity.kind}) but has no "
                    "data category in fields, so the notice does not mention it",
                )


def _art9_listed(purpose: Purpose, known: Known) -> bool:
    return any(known.is_art9(category) for category in purpose.data_categories)


@rules.rule("art9-condition-missing", "special categories (Art. 9) need an art9_condition on the purpose")
def missing_art9_conditions(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        if purpose.art9_condition is not None:
            continue
        for position, category in enumerate(purpose.data_categories):
            if known.is_art9(category):
                yield at(
                    ("purposes", index, "data_categories", position),
                    f"'{category}' is a special category (GDPR Art. 9): state the art9_condition that allows "
                    "processing it",
                )
    purposes = {p.id: p for p in policy.purposes}
    for index, dataset in enumerate(policy.datasets):
        for column, category in dataset.fields.items():
            if not known.is_art9(category):
                continue
            for purpose_id in dataset.purposes:
                user = purposes.get(purpose_id)
                if user is None or user.art9_condition is not None or _art9_listed(user, known):
                    continue  # unknown, allowed, or already reported on the purpose itself
                yield at(
                    ("datasets", index, "fields", column),
                    f"column '{column}' stores special category '{category}' (GDPR Art. 9) but purpose "
                    f"'{purpose_id}' has no art9_condition",
                )


@rules.rule(
    "art9-condition-unused", "art9_condition is stated only where special categories are processed", "warning"
)
def unused_art9_conditions(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        if purpose.art9_condition is None or _art9_listed(purpose, known):
            continue
        in_datasets = any(
            known.is_art9(category)
            for dataset in policy.datasets
            if purpose.id in dataset.purposes
            for category in dataset.fields.values()
        )
        if not in_datasets:
            yield at(
                ("purposes", index, "art9_condition"),
                f"art9_condition '{purpose.art9_condition}' is stated but the purpose processes no special "
                "category (Art. 9); the notice would claim it does",
            )
