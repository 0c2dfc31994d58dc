"""Execution of a request, dispatched per type, and its evidence.

access / portability: nothing changes; the evidence counts what the package holds (`package` builds it).
erasure: `erase`. rectification, restriction, objection, withdrawal: `change`.
Every step writes audit rows through the domains it calls (ids and counts only); the evidence rows
(`rights_evidence`, append-only) say per table and dataset what was found and done, and why anything
was kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tillit.core.errors import ValidationFailedError
from tillit.core.ids import new_id
from tillit.policy.schema import Policy
from tillit.rights import change, erase, repository
from tillit.rights.collect import Section, bulk, collect
from tillit.rights.context import Context
from tillit.rights.models import RightsEvidence
from tillit.rights.schemas import EvidenceRow, Preview, ProcessorNotifier, TableLine

RECTIFIABLE = ("email", "phone", "name", "customer_number", "national_id", "address")


def check_details(policy: Policy, type_: str, details: dict[str, Any]) -> None:
    """Refuse details that do not fit the type, before anything is stored."""
    if type_ == "rectification":
        if details.get("kind") not in RECTIFIABLE or not str(details.get("value") or "").strip():
            raise ValidationFailedError(
                f"a rectification needs details.kind (one of {', '.join(RECTIFIABLE)}) and details.value",
                details={"field": "details"},
            )
    elif type_ in ("objection", "withdrawal"):
        purposes = details.get("purposes")
        if not isinstance(purposes, list) or not purposes:
            raise ValidationFailedError(f"{type_} needs details.purposes", details={"field": "details"})
        for purpose_id in purposes:
            purpose = policy.purpose(str(purpose_id))
            if type_ == "withdrawal" and purpose.legal_basis != "consent":
                raise ValidationFailedError(
                    f"purpose '{purpose.id}' does not rest on consent; there is nothing to withdraw",
                    details={"field": "details", "purpose": purpose.id},
                )
            if type_ == "objection" and not change.objectable(purpose):
                raise ValidationFailedError(
                    f"purpose '{purpose.id}' rests on {purpose.legal_basis.replace('_', ' ')}; "
                    "an objection (Art. 21) applies to legitimate interests and direct marketing",
                    details={"field": "details", "purpose": purpose.id},
                )
    elif type_ == "restriction" and not isinstance(details.get("lift", False), bool):
        raise ValidationFailedError("details.lift must be true or false", details={"field": "details"})


def lines_of(sections: list[Section], *, exported: bool = False) -> list[TableLine]:
    lines = []
    for s in sections:
        purposes = (
            sorted({h.purpose for r in s.rows for h in r.holds if h.ended_reason is None}) or s.purposes
        )
        lines.append(
            TableLine(
                source=s.source,
                record_type=s.record_type,
                table=s.table,
                found=len(s.rows),
                exported=len(s.rows) if exported else 0,
                purposes=purposes,
                note=s.note,
            )
        )
    return lines


def preview(ctx: Context) -> Preview:
    with bulk():
        sections = collect(ctx)
    return Preview(
        request=ctx.request,
        identity_kinds=sorted(ctx.identities),
        lines=lines_of(sections),
        actions=_planned(ctx),
    )


def run(ctx: Context, notifier: ProcessorNotifier | None) -> list[TableLine]:
    kind = ctx.request.type
    if kind in ("access", "portability"):
        with bulk():
            return lines_of(collect(ctx, holds=False), exported=True)
    if kind == "erasure":
        return erase.run(ctx, notifier)
    if kind == "rectification":
        return change.rectify(ctx, notifier)
    if kind == "restriction":
        return change.restrict(ctx)
    if kind == "objection":
        return change.consent_action(ctx, "object")
    return change.consent_action(ctx, "withdraw")


def write_evidence(
    session: Session, ctx: Context, lines: list[TableLine], now: datetime
) -> list[EvidenceRow]:
    seq = repository.next_evidence_seq(session, ctx.request.id)
    rows = []
    for i, line in enumerate(lines):
        counts = {
            k: getattr(line, k) for k in ("found", "exported", "changed", "deleted", "anonymised", "kept")
        }
        rows.append(
            RightsEvidence(
                id=new_id(),
                request_id=ctx.request.id,
                seq=seq + i,
                step=ctx.request.type,
                record_type=line.record_type,
                counts=counts,
                reasons=list(line.kept_reasons),
                created_at=now,
            )
        )
    if ctx.notified:
        rows.append(
            RightsEvidence(
                id=new_id(),
                request_id=ctx.request.id,
                seq=seq + len(lines),
                step="notified",
                record_type=None,
                counts={"recipients": len(ctx.notified)},
                reasons=sorted(ctx.notified),
                created_at=now,
            )
        )
    repository.add_evidence(session, rows)
    return [EvidenceRow.model_validate(r) for r in rows]


def _planned(ctx: Context) -> list[str]:
    kind = ctx.request.type
    d = ctx.details
    if kind == "access":
        return ["build the access package (data.json and index.html)"]
    if kind == "portability":
        return ["build the portability package (data.json and CSV) of the data the person provided"]
    if kind == "erasure":
        return ["end every hold no legal obligation keeps", "delete what no hold keeps", "notify processors"]
    if kind == "rectification":
        return [f"set {d.get('kind')} in tillit and every dataset holding it", "notify processors"]
    if kind == "restriction":
        return ["lift the restriction" if d.get("lift") else "restrict processing to storage"]
    return [f"{kind}: {', '.join(str(p) for p in d.get('purposes', []))}"]
