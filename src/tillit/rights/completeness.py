"""The completeness checker (acceptance of the rights domain): nothing about a person may be missed.

`inventory` walks the policy's declarations independently of the package code: every dataset (rows
matched by the subject's identities through the connector's `matching_keys`) and every tillit record
kind the policy's purposes hold (conversations and their parts, consent records, the subject), plus every
record any hold names the subject on. `missing_from_access` fails for any of those rows absent from
the package's `data.json`; `left_after_erasure` fails for any row still present after erasure that the
evidence does not explain with a stated legal reason.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from sqlalchemy.orm import Session

from tillit.audit.schemas import Actor
from tillit.consent import service as consent_service
from tillit.conversations import service as conversations_service
from tillit.core.clock import Clock
from tillit.datasets import service as datasets_service
from tillit.policy.schema import Policy
from tillit.retention import service as retention_service
from tillit.rights.schemas import Evidence
from tillit.subjects import service as subjects_service

CHECKER = Actor.system("rights-completeness")
Inventory = dict[str, set[str]]


def inventory(
    session: Session,
    policy: Policy,
    subject_id: str,
    *,
    identities: dict[str, list[str]],
    clock: Clock,
    secret: str,
) -> Inventory:
    """Every record of the subject, by record kind (tillit kind or dataset id) -> ids."""
    found: Inventory = {}
    for dataset in policy.datasets:
        keys = datasets_service.matching_keys(
            session,
            dataset,
            identities,
            actor=CHECKER,
            purpose=dataset.purposes[0],
            clock=clock,
            default_region=policy.organisation.country,
            subject_id=subject_id,
        )
        found[dataset.id] = {str(k) for k in keys}
    kinds = {k for p in policy.purposes for k in p.records}
    if subjects_service.kind_of(session, subject_id) is not None:
        found["subject"] = {subject_id}
    exported = conversations_service.export_for_subject(session, subject_id, secret=secret)
    found["conversation"] = {c.conversation.id for c in exported}
    found["conversation_ip"] = {c.conversation.id for c in exported if c.ip_address is not None}
    found["handoff_contact"] = {c.conversation.id for c in exported if c.handoff_contact is not None}
    found["feedback"] = {c.conversation.id for c in exported if c.feedback is not None}
    found["consent_record"] = {s.id for s in consent_service.states(session, subject_id=subject_id)}
    for purpose in policy.purposes:
        for ref in retention_service.records_held_for_subject(
            session, policy, subject_id=subject_id, purpose=purpose.id, clock=clock
        ):
            found.setdefault(ref.record_type, set()).add(ref.record_id)
    for kind in kinds - set(found):
        found[kind] = set()
    return {k: v for k, v in found.items() if k not in ("matching_export",) or v}


def package_ids(package: bytes) -> Inventory:
    """Record ids per kind in an access package's data.json."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        document: dict[str, Any] = json.loads(archive.read("data.json"))
        if "index.html" not in archive.namelist():
            raise AssertionError("the access package has no index.html")
    return {r["record_type"]: {str(row["id"]) for row in r["rows"]} for r in document["records"]}


def missing_from_access(before: Inventory, package: bytes) -> list[str]:
    """Problems: each record of the inventory absent from the package."""
    shown = package_ids(package)
    problems = []
    for kind, ids in sorted(before.items()):
        for record_id in sorted(ids - shown.get(kind, set())):
            problems.append(f"{kind} {record_id} is missing from the access package")
    return problems


def left_after_erasure(before: Inventory, after: Inventory, evidence: Evidence) -> list[str]:
    """Problems: each record still present after erasure whose table the evidence gives no legal
    reason for keeping (or keeps fewer rows than remain)."""
    lines = {line.record_type: line for line in evidence.lines}
    problems = []
    for kind, ids in sorted(after.items()):
        remaining = ids & before.get(kind, set()) or ids
        if not remaining:
            continue
        line = lines.get(kind)
        if line is None or not line.kept_reasons or line.kept < len(remaining):
            problems.append(f"{kind}: {len(remaining)} record(s) still present without a stated legal reason")
    return problems
