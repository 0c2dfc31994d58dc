"""Retention rules: every purpose that holds records says how long, every record meets a rule, no rule is
dead, and rules read only facts the held records have.

This mirrors `tillit.retention.rules.evaluate`: the first matching rule decides, a missing fact never
matches a condition, and a missing anchor keeps the record until the anchor arrives. So a typo in a fact
name silently changes what is kept, and an anchor the record kind never has keeps it forever; both are
errors here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from tillit.policy.lint_rules._base import Known, RuleSet, at, listing, suggest, values_of
from tillit.policy.loader import PathKey, PolicyDocument, Problem
from tillit.policy.schema import FactValue, Policy, Purpose

rules = RuleSet()


def _holds_anything(purpose: Purpose, known: Known) -> bool:
    return bool(purpose.records) or bool(known.dataset_users(purpose.id))


def _kinds_matching(known: Known, kinds: list[str], condition: Mapping[str, FactValue]) -> list[str]:
    """The kinds whose records can satisfy `condition`: they have every fact it names, and the kind fits."""
    matching: list[str] = []
    for kind in kinds:
        facts = known.kind_facts[kind]
        fits = all(
            (False, kind) in values_of(value) if name == "record_kind" else name in facts
            for name, value in condition.items()
        )
        if fits:
            matching.append(kind)
    return matching


def _shadows(earlier: Mapping[str, FactValue], later: Mapping[str, FactValue]) -> bool:
    """True when every record matching `later` also matches `earlier` (so `later` is never reached)."""
    return all(
        name in later and values_of(later[name]) <= values_of(value) for name, value in earlier.items()
    )


@rules.rule("retention-missing", "a purpose that holds records or is used by a dataset has retention rules")
def missing_retention(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        if purpose.retention or not _holds_anything(purpose, known):
            continue
        held = [*purpose.records, *known.dataset_users(purpose.id)]
        path: PathKey = ("purposes", index, "records") if purpose.records else ("purposes", index, "id")
        if ("purposes", index, "retention") in document.lines:
            path = ("purposes", index, "retention")
        yield at(
            path, f"holds records ({listing(held)}) but has no retention rules: say how long they are kept"
        )


@rules.rule("retention-no-catch-all", "the last retention rule has no `when`, so every record gets a period")
def missing_catch_all(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        if purpose.retention and purpose.retention[-1].when:
            last = len(purpose.retention) - 1
            conditions = ", ".join(purpose.retention[-1].when)
            yield at(
                ("purposes", index, "retention", last, "when"),
                f"the last retention rule has a condition ({conditions}), so records that do not match it "
                "get no retention period: end with a rule without `when`",
            )


@rules.rule("retention-unreachable", "no retention rule is shadowed by an earlier one (first match decides)")
def unreachable_rules(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    for index, purpose in enumerate(policy.purposes):
        for later, rule in enumerate(purpose.retention):
            for earlier in range(later):
                shadow = purpose.retention[earlier]
                if not _shadows(shadow.when, rule.when):
                    continue
                line = document.line_of(("purposes", index, "retention", earlier))
                reason = (
                    "has no `when` and matches every record; the catch-all rule must come last"
                    if not shadow.when
                    else "matches every record this one would"
                )
                yield at(
                    ("purposes", index, "retention", later),
                    f"retention rule {later + 1} can never apply: rule {earlier + 1} (line {line}) {reason}",
                )
                break


@rules.rule(
    "retention-condition-unknown", "retention `when` and `applies_if` use facts the held records have"
)
def unknown_conditions(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        held = known.held_kinds(purpose)
        if not held:
            continue  # retention-unused or record-kind-unknown says why
        conditions: list[tuple[PathKey, Mapping[str, FactValue]]] = [
            (("purposes", index, "applies_if"), purpose.applies_if)
        ]
        conditions += [
            (("purposes", index, "retention", position, "when"), rule.when)
            for position, rule in enumerate(purpose.retention)
        ]
        all_facts = frozenset().union(*(known.kind_facts[kind] for kind in held))
        for base, condition in conditions:
            named_ok = True
            for name, value in condition.items():
                if name == "record_kind":
                    for wanted in value if isinstance(value, list) else [value]:
                        if wanted not in held:
                            named_ok = False
                            yield at(
                                (*base, name),
                                f"record_kind '{wanted}' is not a kind this purpose holds "
                                f"(it holds: {listing(held)})",
                            )
                elif name == "subject_kind":
                    for wanted in value if isinstance(value, list) else [value]:
                        if wanted not in purpose.data_subjects:
                            named_ok = False
                            yield at(
                                (*base, name),
                                f"subject_kind '{wanted}' is not one of this purpose's data_subjects "
                                f"({listing(purpose.data_subjects)}), so the condition never matches",
                            )
                elif name not in all_facts:
                    named_ok = False
                    yield at(
                        (*base, name),
                        f"condition on unknown fact '{name}'{suggest(name, all_facts)}: the records this "
                        f"purpose holds ({listing(held)}) have no such fact",
                    )
            if named_ok and condition and not _kinds_matching(known, held, condition):
                yield at(
                    base,
                    f"no record this purpose holds has all of the facts {listing(condition)} at once, "
                    "so this condition never matches",
                )


def _taken_kinds(condition: Mapping[str, FactValue]) -> frozenset[str]:
    """The kinds a rule takes whole: a `when` naming only `record_kind` matches every record of those kinds,
    so (first match decides) none of them reaches a later rule."""
    if set(condition) != {"record_kind"}:
        return frozenset()
    value = condition["record_kind"]
    return frozenset(str(v) for v in (value if isinstance(value, list) else [value]))


@rules.rule("retention-anchor-unknown", "a retention rule's `from` is a fact of every record kind it keeps")
def unknown_anchors(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        applicable = _kinds_matching(known, known.held_kinds(purpose), purpose.applies_if)
        for position, rule in enumerate(purpose.retention):
            kinds = _kinds_matching(known, applicable, rule.when)
            if not kinds:
                continue
            applicable = [kind for kind in applicable if kind not in _taken_kinds(rule.when)]
            lacking = [kind for kind in kinds if rule.from_ not in known.kind_facts[kind]]
            if not lacking:
                continue
            shared = frozenset.intersection(*(known.kind_facts[kind] for kind in kinds))
            dates = listing(fact for fact in shared if fact.endswith("_at"))
            path = ("purposes", index, "retention", position, "from")
            if len(lacking) == len(kinds):
                message = (
                    f"unknown anchor '{rule.from_}'{suggest(rule.from_, shared)}: the records this rule "
                    f"keeps ({listing(kinds)}) have no such fact; anchors they have: {dates}"
                )
            else:
                message = (
                    f"anchor '{rule.from_}' is not a fact of {listing(lacking)}, which this rule also keeps: "
                    f"narrow it with when: {{record_kind: ...}} or use an anchor they all have ({dates})"
                )
            yield at(path, message)


@rules.rule("retention-unused", "retention rules belong to a purpose that holds records", "warning")
def unused_retention(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    known = Known(policy)
    for index, purpose in enumerate(policy.purposes):
        if purpose.retention and not _holds_anything(purpose, known):
            yield at(
                ("purposes", index, "retention"),
                "has retention rules but holds no records: list the record kinds under records, or name the "
                "purpose in a dataset's purposes",
            )
