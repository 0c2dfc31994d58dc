"""Marketing rules: what tillit writes when it sends a message is held by a purpose of the notice.

A purpose with `direct_marketing: true` lets marketing staff run campaigns, and the dispatcher writes one
send-log entry (record kind `marketing_send`) for every message it delivers. The sweeper finds records
through their holds, so an entry no purpose holds is never deleted: it is kept forever, and the notice
says nothing about it. The dispatcher refuses to send such a message at run time; this rule stops the
policy before it gets that far.
"""

from __future__ import annotations

from collections.abc import Iterator

from tillit.policy.lint_rules._base import RuleSet, at
from tillit.policy.loader import PolicyDocument, Problem
from tillit.policy.schema import Policy

rules = RuleSet()

SEND_LOG = "marketing_send"
"""The record kind of one send-log entry (`tillit.policy.schema.RECORD_KINDS`)."""


@rules.rule(
    "send-log-unheld",
    "direct marketing is sent and logged: some purpose lists marketing_send (the send log) in its records",
)
def send_log_unheld(policy: Policy, document: PolicyDocument) -> Iterator[Problem]:
    marketing = [(index, p) for index, p in enumerate(policy.purposes) if p.direct_marketing]
    if not marketing or any(SEND_LOG in p.records for p in policy.purposes):
        return
    index, _first = marketing[0]
    names = ", ".join(f"'{p.id}'" for _, p in marketing)
    yield at(
        ("purposes", index, "direct_marketing"),
        f"direct_marketing: true lets tillit send messages for {names} and log each one (record kind "
        f"{SEND_LOG}), but no purpose lists {SEND_LOG} in its records: the send log would be held by no "
        "purpose and kept forever. Add it to the records of this purpose or of a documentation purpose "
        "(legal obligation), with a retention rule for it",
    )
