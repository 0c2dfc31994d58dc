"""Lint rules for policy files. Each rule is a pure function of the validated policy and its document.

The schema (`schema.py`) says what a policy file may contain; the rules here say what makes it a policy
the engine can enforce and a notice a person can trust: references resolve, each legal basis carries
what the GDPR asks of it, every record gets a retention period, every text exists in every language.
The rules live in `lint_rules/` by concern; `RULES` lists them all with stable codes.

`run` is what the loader calls (schema first, then every rule, so one run reports every problem of a
file). `lint_text`/`lint_file` also report YAML and schema errors as findings, for `tillit policy lint`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from tillit.policy.lint_rules import basis, categories, marketing, references, retention, texts
from tillit.policy.lint_rules._base import Check, LintRule
from tillit.policy.loader import (
    PolicyDocument,
    PolicyError,
    Problem,
    Severity,
    parse_document,
    schema_problems,
)
from tillit.policy.schema import Policy

__all__ = ["RULES", "Check", "Finding", "LintRule", "lint_file", "lint_text", "run"]

RULES: list[LintRule] = [
    *references.rules.rules,
    *categories.rules.rules,
    *basis.rules.rules,
    *retention.rules.rules,
    *marketing.rules.rules,
    *texts.rules.rules,
]

PRE_LINT_CODES: dict[str, str] = {
    "yaml": "the file is not valid YAML, or not a mapping of sections",
    "duplicate-key": "a mapping names the same key twice (YAML would silently keep the last)",
    "schema": "a key is unknown, missing or of the wrong type (lint rules run once the schema passes)",
}
"""Codes of problems found before the lint rules can run; listed by `tillit policy lint --list-rules`."""


def run(policy: Policy, document: PolicyDocument) -> list[Problem]:
    """Apply every rule; problems come back sorted by line so the output reads top to bottom."""
    problems: list[Problem] = []
    for rule in RULES:
        problems.extend(rule.apply(policy, document))
    return sorted(problems, key=lambda p: (document.line_of(p.path), p.code))


@dataclass(frozen=True)
class Finding:
    """One line of lint output: `file:line: [code] message` (warnings say so after the code)."""

    filename: str
    line: int | None
    code: str
    severity: Severity
    message: str

    def render(self) -> str:
        where = f"{self.filename}:{self.line}" if self.line is not None else self.filename
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}: [{self.code}] {label}{self.message}"


def _from_problem(problem: Problem, document: PolicyDocument) -> Finding:
    context = document.context_of(problem.path)
    message = f"{context}: {problem.message}" if context else problem.message
    line = document.line_of(problem.path)
    return Finding(document.filename, line, problem.code, problem.severity, message)


def _from_parse_error(formatted: str, filename: str) -> Finding:
    """A parse error (already `file:line: message`) as a finding; the code says which kind."""
    rest = formatted.removeprefix(f"{filename}:")
    line_text, _, message = rest.partition(": ")
    line = int(line_text) if line_text.isdigit() else None
    if line is None:
        message = rest.lstrip(": ")
    code = "duplicate-key" if message.startswith("duplicate key") else "yaml"
    return Finding(filename, line, code, "error", message)


def lint_text(text: str, filename: str = "policy.yaml") -> list[Finding]:
    """Every problem of a policy text: YAML errors, or else schema errors, or else every rule's findings."""
    try:
        document = parse_document(text, filename)
    except PolicyError as exc:
        return [_from_parse_error(problem, filename) for problem in exc.problems]
    try:
        policy = Policy.model_validate(document.data)
    except ValidationError as exc:
        problems = sorted(schema_problems(exc), key=lambda p: document.line_of(p.path))
        return [_from_problem(p, document) for p in problems]
    return [_from_problem(p, document) for p in run(policy, document)]


def lint_file(path: Path, display: str | None = None) -> list[Finding]:
    """Lint a file on disk; `display` is the name shown in findings (default: the path as given)."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [Finding(name, None, "yaml", "error", "no such policy file")]
    except UnicodeDecodeError as exc:
        return [Finding(name, 1, "yaml", "error", f"not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return [Finding(name, None, "yaml", "error", f"cannot read the file ({exc.strerror})")]
    return lint_text(text, name)
