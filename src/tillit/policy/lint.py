"""Lint rules for policy files. Each rule is a pure function of the validated policy and its document.

(Skeleton: the rules themselves are added in this module; `run` is what the loader and CLI call.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tillit.policy.loader import PolicyDocument, Problem
from tillit.policy.schema import Policy

Check = Callable[[Policy, PolicyDocument], Iterable[Problem]]


@dataclass(frozen=True)
class LintRule:
    code: str
    summary: str
    check: Check


RULES: list[LintRule] = []


def run(policy: Policy, document: PolicyDocument) -> list[Problem]:
    """Apply every rule; problems come back sorted by line so the output reads top to bottom."""
    problems: list[Problem] = []
    for rule in RULES:
        problems.extend(rule.check(policy, document))
    return sorted(problems, key=lambda p: (document.line_of(p.path), p.code))
