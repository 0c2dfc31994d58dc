"""Small policies for retention tests: minimal.yaml with its purposes replaced by purposes written inline.

Built from policy text (not from Python objects) so that every test policy goes through the same loader,
schema and lint as a real pack.
"""

from __future__ import annotations

from pathlib import Path

from tillit.policy.loader import load_text
from tillit.policy.schema import Policy

MINIMAL = (Path(__file__).parent / "fixtures" / "policies" / "minimal.yaml").read_text(encoding="utf-8")

PURPOSE_TEMPLATE = """
  - id: {id}
    name: {{nb: {id}, en: {id}}}
    description: {{nb: Et formål., en: A purpose.}}
    legal_basis: {legal_basis}
    data_categories: [user.content.chat_log]
    data_subjects: [customer]
    records: {records}
{extra}"""


BASIS_KEYS: dict[str, list[tuple[str, str]]] = {
    "legal_obligation": [
        ("legal_obligation", "legal_obligation: {nb: Bokføringsloven, en: Bookkeeping Act}")
    ],
    "legitimate_interests": [
        ("legitimate_interest", "legitimate_interest: {nb: Bedre tjenester., en: Better services.}"),
        ("objection", "objection: true"),
    ],
    "consent": [("withdrawal", "withdrawal: true")],
}


def purpose_yaml(
    purpose_id: str,
    retention: str,
    *,
    records: str = "[conversation]",
    legal_basis: str = "contract",
    applies_if: str | None = None,
    more: str = "",
) -> str:
    """One purpose in YAML; `retention` is the rule list and `more` other keys, both written at column 0.

    Adds what the lint asks of the legal basis (the law, the interest, withdrawal) unless `more` says it.
    """
    more += "\n" + "\n".join(line for key, line in BASIS_KEYS.get(legal_basis, []) if f"{key}:" not in more)
    extra = f"    applies_if: {applies_if}\n" if applies_if else ""
    extra += "".join(f"    {line}\n" for line in more.strip("\n").splitlines())
    extra += "    retention:\n" + "".join(f"      {line}\n" for line in retention.strip("\n").splitlines())
    return PURPOSE_TEMPLATE.format(id=purpose_id, legal_basis=legal_basis, records=records, extra=extra)


def policy_with(*purposes: str, strict: bool = True) -> Policy:
    """minimal.yaml with its purposes replaced by the given ones."""
    head, rest = MINIMAL.split("purposes:\n", 1)
    tail = rest[rest.index("changelog:") :]
    return load_text(head + "purposes:" + "".join(purposes) + tail, strict=strict).policy
