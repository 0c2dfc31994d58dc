"""Text rules: every localised text exists in every pack language, and the change log reads in one order.

The notice is rendered per language from these texts; a missing translation would render as a hole in the
Danish notice while the English one looks complete. The walk is generic over the validated model, so a
`LocalText` added to the schema tomorrow is checked without touching this module.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from tillit.policy.lint_rules._base import RuleSet, at, listing
from tillit.policy.loader import PathKey, PolicyDocument, Problem
from tillit.policy.schema import LocalText, Policy

rules = RuleSet()

NOT_TEXT: frozenset[tuple[str, str]] = frozenset({("Dataset", "fields")})
"""`dict[str, str]` fields that are not `LocalText` (the annotation alone cannot tell them apart)."""


def _is_text(annotation: Any) -> bool:
    if annotation == LocalText:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_text(arg) for arg in get_args(annotation) if arg is not type(None))
    return False


def local_texts(value: object, path: PathKey = ()) -> Iterator[tuple[PathKey, dict[str, str]]]:
    """Every `LocalText` in a validated model, with the key path it sits at in the file."""
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            child = getattr(value, name)
            if child is None:
                continue
            key = (*path, info.alias or name)
            if _is_text(info.annotation) and (type(value).__name__, name) not in NOT_TEXT:
                yield key, child
            else:
                yield from local_texts(child, key)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from local_texts(item, (*path, index))
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from local_texts(item, (*path, str(name)))


def describe(path: PathKey) -> str:
    """A key path as an author reads it, relative to its named list item: `retention #2 note`."""
    relative = path[2:] if len(path) >= 2 and isinstance(path[1], int) else path
    return " ".join(f"#{part + 1}" if isinstance(part, int) else str(part) for part in relative) or "text"


@rules.rule("text-missing", "every localised text is present and non-empty in every pack language")
def missing_texts(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    languages = policy.languages
    for path, text in local_texts(policy):
        for language in languages:
            if language not in text:
                yield at(
                    path,
                    f"{describe(path)} has no text in '{language}' (the pack's languages: "
                    f"{', '.join(languages)})",
                )
            elif not text[language].strip():
                yield at((*path, language), f"{describe(path)} is empty in '{language}'")


@rules.rule("text-unknown-language", "localised texts use only the pack's languages", "warning")
def extra_languages(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    languages = set(policy.languages)
    for path, text in local_texts(policy):
        for language in text:
            if language not in languages:
                yield at(
                    (*path, language),
                    f"{describe(path)} has a text in '{language}', which is not one of the pack's languages "
                    f"({listing(languages)}); it will never be shown",
                )


@rules.rule("changelog-order", "change log entries are consistently newest first or oldest first")
def changelog_order(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    dates = [entry.date for entry in policy.changelog]
    direction = 0
    for index in range(1, len(dates)):
        previous, current = dates[index - 1], dates[index]
        step = (current > previous) - (current < previous)
        if step == 0:
            continue
        if direction == 0:
            direction = step
        elif step != direction:
            order = "oldest first" if direction > 0 else "newest first"
            yield at(
                ("changelog", index, "date"),
                f"the change log runs {order}, but {current} follows {previous}: keep one order",
            )


@rules.rule("changelog-future", "no change log entry is dated after the policy's effective_from")
def changelog_after_effective(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    effective = policy.effective_from
    if effective is None:
        return
    for index, entry in enumerate(policy.changelog):
        if entry.date > effective:
            yield at(
                ("changelog", index, "date"),
                f"dated {entry.date}, after effective_from {effective}: the change log of this version "
                "cannot describe a later change: raise effective_from or move the entry to the next version",
            )
