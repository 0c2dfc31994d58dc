"""Load a policy file into `Policy`, reporting every problem as `file:line: what is wrong`.

PyYAML's composer gives each node its position; we keep a map from the path of each key
(e.g. `("purposes", 3, "legal_basis")`) to its line so that schema errors and lint findings both point
at the line a person has to edit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from tillit.core.errors import TillitError
from tillit.policy.schema import Policy

PathKey = tuple[str | int, ...]
Severity = Literal["error", "warning"]

_SECTION_NOUNS = {
    "purposes": "purpose",
    "datasets": "dataset",
    "recipients": "recipient",
    "controllers": "controller",
    "data_categories": "data category",
    "data_subjects": "data subject",
    "sources": "source",
    "changelog": "change log entry",
}


class PolicyYamlLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. YAML 1.1 would read the country code `NO` as false."""


PolicyYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
PolicyYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class Problem:
    """One finding about a policy file, located by the path of the key it concerns."""

    path: PathKey
    message: str
    code: str = "schema"
    severity: Severity = "error"


@dataclass
class PolicyDocument:
    """The parsed YAML of a policy file with the line of every key."""

    filename: str
    text: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int:
        """The line of `path`, or of its nearest ancestor that exists in the file."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return 1

    def context_of(self, path: PathKey) -> str:
        """A human prefix such as `purpose 'chat_archive'` for a path inside a named list item."""
        if len(path) >= 2 and isinstance(path[1], int) and isinstance(path[0], str):
            section = self.data.get(path[0]) if isinstance(self.data, dict) else None
            if (
                isinstance(section, list)
                and 0 <= path[1] < len(section)
                and isinstance(section[path[1]], dict)
            ):
                item = section[path[1]]
                name = item.get("id") or item.get("key") or item.get("date")
                noun = _SECTION_NOUNS.get(path[0], path[0])
                if name is not None:
                    return f"{noun} '{name}'"
                return f"{noun} #{path[1] + 1}"
        return ""

    def format(self, problem: Problem) -> str:
        context = self.context_of(problem.path)
        prefix = f"{context}: " if context else ""
        return f"{self.filename}:{self.line_of(problem.path)}: {prefix}{problem.message}"


class PolicyError(TillitError):
    """The policy file cannot be used; `problems` lists every `file:line: message`."""

    code = "policy_invalid"
    http_status = 500

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems), details={"problems": problems})


@dataclass(frozen=True)
class LoadedPolicy:
    policy: Policy
    document: PolicyDocument
    sha256: str
    warnings: list[str]


def parse_document(text: str, filename: str) -> PolicyDocument:
    """Parse YAML, recording the line of every key; duplicate keys are errors, not silent overrides."""
    try:
        root = yaml.compose(text, Loader=PolicyYamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise PolicyError([f"{filename}:{line}: invalid YAML: {exc.problem or exc}"]) from None
    if root is None:
        raise PolicyError([f"{filename}:1: the policy file is empty"])
    lines: dict[PathKey, int] = {}
    duplicates: list[str] = []
    _walk(root, (), lines, duplicates, filename)
    if duplicates:
        raise PolicyError(duplicates)
    data = yaml.load(text, Loader=PolicyYamlLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(data, dict):
        raise PolicyError([f"{filename}:1: the policy must be a mapping of sections"])
    return PolicyDocument(filename=filename, text=text, data=data, lines=lines)


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], dups: list[str], filename: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                dups.append(f"{filename}:{key_node.start_mark.line + 1}: duplicate key '{key}'")
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, dups, filename)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, dups, filename)


def schema_problems(error: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into problems located by path, with messages a policy author understands."""
    problems: list[Problem] = []
    for item in error.errors():
        loc = tuple(
            part for part in item["loc"] if not (isinstance(part, str) and part.startswith("function-"))
        )
        kind = item["type"]
        if kind == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
        elif kind == "missing":
            where = ".".join(str(p) for p in loc[:-1] if isinstance(p, str))
            message = f"missing required key '{loc[-1]}'" + (f" in {where}" if where else "")
            loc = loc[:-1]
        elif kind in ("literal_error", "enum"):
            expected = item.get("ctx", {}).get("expected", "")
            message = f"{_dotted(loc)}: '{item.get('input')}' is not one of {expected}"
        else:
            message = f"{_dotted(loc)}: {item['msg']}".replace("Value error, ", "")
        problems.append(Problem(path=loc, message=message, code="schema"))
    return problems


def _dotted(loc: PathKey) -> str:
    named = (
        [str(p) for p in loc[2:] if isinstance(p, str)] if len(loc) > 2 and isinstance(loc[1], int) else []
    )
    if not named:
        named = [str(p) for p in loc if isinstance(p, str)]
    return ".".join(named) or "value"


def load_text(text: str, filename: str = "policy.yaml", *, strict: bool = True) -> LoadedPolicy:
    """Validate policy text; raise `PolicyError` listing every problem (schema, then lint errors)."""
    document = parse_document(text, filename)
    try:
        policy = Policy.model_validate(document.data)
    except ValidationError as exc:
        problems = schema_problems(exc)
        raise PolicyError([document.format(p) for p in problems]) from None
    from tillit.policy import lint

    findings = lint.run(policy, document)
    errors = [document.format(p) for p in findings if p.severity == "error"]
    warnings = [document.format(p) for p in findings if p.severity == "warning"]
    if errors and strict:
        raise PolicyError(errors)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return LoadedPolicy(policy=policy, document=document, sha256=digest, warnings=warnings)


def load_file(path: Path, *, strict: bool = True) -> LoadedPolicy:
    """Load a policy file from disk; the file name in messages is the one the user gave."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError([f"{path}: no such policy file"]) from None
    except UnicodeDecodeError as exc:
        raise PolicyError([f"{path}:1: not UTF-8 text ({exc.reason})"]) from None
    return load_text(text, filename=str(path), strict=strict)


PACKS_DIR = Path(__file__).resolve().parent.parent / "packs"


def pack_policy_path(pack: str) -> Path:
    return PACKS_DIR / pack / "policy.yaml"


def available_packs() -> list[str]:
    return sorted(p.parent.name for p in PACKS_DIR.glob("*/policy.yaml"))


def load_pack(pack: str) -> LoadedPolicy:
    """Load a demo pack's policy by name."""
    path = pack_policy_path(pack)
    if not path.exists():
        known = ", ".join(available_packs()) or "none"
        raise PolicyError([f"unknown pack '{pack}' (known packs: {known})"])
    return load_file(path)
