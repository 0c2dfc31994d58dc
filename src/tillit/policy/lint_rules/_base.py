"""What every rule module shares: the rule record, the registry decorator and lookups over a policy.

Rules yield `Problem`s located by key path (so the reported line is the one to edit); the rule's code and
severity are stamped on by `LintRule.apply`, so a check cannot report under the wrong code.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from fideslang.default_taxonomy import DEFAULT_TAXONOMY

from tillit.policy.loader import PathKey, PolicyDocument, Problem, Severity
from tillit.policy.schema import (
    ART9_CATEGORY_PREFIXES,
    COMMON_FACTS,
    RECORD_FACTS,
    RECORD_KINDS,
    FactValue,
    Policy,
    Purpose,
)

Check = Callable[[Policy, PolicyDocument], Iterable[Problem]]

FIDES_CATEGORIES: frozenset[str] = frozenset(str(c.fides_key) for c in DEFAULT_TAXONOMY.data_category)
FIDES_USES: frozenset[str] = frozenset(str(u.fides_key) for u in DEFAULT_TAXONOMY.data_use)
FIDES_DEPRECATED_USES: frozenset[str] = frozenset(
    str(u.fides_key) for u in DEFAULT_TAXONOMY.data_use if u.version_deprecated
)
FIDES_SUBJECTS: frozenset[str] = frozenset(str(s.fides_key) for s in DEFAULT_TAXONOMY.data_subject)


@dataclass(frozen=True)
class LintRule:
    """One rule: a stable `code` (used in output, docs and tests), a one-line summary and the check."""

    code: str
    summary: str
    check: Check
    severity: Severity = "error"

    def apply(self, policy: Policy, document: PolicyDocument) -> list[Problem]:
        return [replace(p, code=self.code, severity=self.severity) for p in self.check(policy, document)]


class RuleSet:
    """Collects the rules of one module in the order they are declared (the order `--list-rules` shows)."""

    def __init__(self) -> None:
        self.rules: list[LintRule] = []

    def rule(self, code: str, summary: str, severity: Severity = "error") -> Callable[[Check], Check]:
        def register(check: Check) -> Check:
            self.rules.append(LintRule(code=code, summary=summary, check=check, severity=severity))
            return check

        return register


def at(path: PathKey, message: str) -> Problem:
    """A finding at `path`; code and severity come from the rule that yields it."""
    return Problem(path=path, message=message, code="lint")


def suggest(value: str, options: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for a likely typo, else an empty string."""
    close = difflib.get_close_matches(value, sorted(options), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def listing(values: Iterable[str]) -> str:
    items = sorted(values)
    return ", ".join(items) if items else "none"


def values_of(value: FactValue) -> frozenset[tuple[bool, object]]:
    """A condition value as the set of values it accepts; booleans kept apart from numbers (`true` != 1)."""
    items: list[object] = list(value) if isinstance(value, list) else [value]
    return frozenset((isinstance(item, bool), item) for item in items)


class Known:
    """What a policy declares, plus the fideslang taxonomy: the universe references must resolve in."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.category_parents: dict[str, str] = {c.key: c.parent for c in policy.data_categories}
        self.categories: frozenset[str] = FIDES_CATEGORIES | frozenset(self.category_parents)
        self.subjects: frozenset[str] = FIDES_SUBJECTS | frozenset(s.key for s in policy.data_subjects)
        self.controllers: frozenset[str] = frozenset(c.id for c in policy.controllers)
        self.recipients: frozenset[str] = frozenset(r.id for r in policy.recipients)
        self.sources: frozenset[str] = frozenset(s.id for s in policy.sources)
        self.purposes: frozenset[str] = frozenset(p.id for p in policy.purposes)
        self.datasets: frozenset[str] = frozenset(d.id for d in policy.datasets)
        self.record_kinds: frozenset[str] = RECORD_KINDS | self.datasets
        facts: dict[str, frozenset[str]] = {
            kind: COMMON_FACTS | RECORD_FACTS.get(kind, frozenset()) for kind in RECORD_KINDS
        }
        for dataset in policy.datasets:
            facts[dataset.id] = (
                COMMON_FACTS
                | frozenset(dataset.facts)
                | frozenset(dataset.fields)
                | {dataset.primary_key}
                | {identity.column for identity in dataset.identity}
            )
        self.kind_facts = facts

    def ancestors(self, key: str) -> Iterator[str]:
        """`key`, then its parents: a pack category's declared parent, else the dotted fideslang prefix."""
        seen: set[str] = set()
        current: str | None = key
        while current is not None and current not in seen:
            seen.add(current)
            yield current
            if current in self.category_parents:
                current = self.category_parents[current]
            elif "." in current:
                current = current.rsplit(".", 1)[0]
            else:
                current = None

    def is_art9(self, key: str) -> bool:
        """A special category (Art. 9): the key or any ancestor is under one of the Art. 9 prefixes."""
        return any(
            ancestor == prefix or ancestor.startswith(prefix + ".")
            for ancestor in self.ancestors(key)
            for prefix in ART9_CATEGORY_PREFIXES
        )

    def covered_by(self, key: str, listed: Iterable[str]) -> bool:
        """True when `listed` names the category or an ancestor (a purpose may list all of `user.contact`)."""
        names = set(listed)
        return any(ancestor in names for ancestor in self.ancestors(key))

    def held_kinds(self, purpose: Purpose) -> list[str]:
        """Record kinds the purpose holds: its known `records` and every dataset naming it, in file order."""
        kinds = [kind for kind in purpose.records if kind in self.record_kinds]
        kinds += [d.id for d in self.policy.datasets if purpose.id in d.purposes and d.id not in kinds]
        return kinds

    def dataset_users(self, purpose_id: str) -> list[str]:
        return [d.id for d in self.policy.datasets if purpose_id in d.purposes]
