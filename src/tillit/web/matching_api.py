"""Customer-matching exports as JSON under /api/v1/marketing/matching-exports, for marketing staff.

Every endpoint needs a staff session with `marketing.campaigns` (401 without a session, 403 without the
permission); every write needs the session's CSRF token in the `X-CSRF-Token` header. The list's
contents leave only through `download` (a CSV of SHA-256 hashes, audited); a matched or expired list
answers 404, like one that never existed, because it is deleted or about to be. The logic and its
audit rows live in `marketing.matching`; this module only translates HTTP.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tillit.audit.schemas import Actor
from tillit.auth.schemas import Principal
from tillit.main import runtime_of
from tillit.marketing import matching
from tillit.runtime import Runtime
from tillit.web import deps

router = APIRouter(prefix="/api/v1/marketing/matching-exports", tags=["marketing: customer matching"])
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
MarketingStaff = Annotated[Principal, Depends(deps.require_permission("marketing.campaigns"))]


def _csrf(request: Request, runtime: RuntimeDep, staff: MarketingStaff) -> Principal:
    """The staff member, once the write's `X-CSRF-Token` header matches their session (else 403)."""
    deps.check_csrf(request, runtime, deps.STAFF_COOKIE, None)
    return staff


WritingStaff = Annotated[Principal, Depends(_csrf)]


class ExportCreate(BaseModel):
    recipient: str = Field(min_length=1, max_length=64, description="A recipient of the matching purpose")
    ttl_hours: int = Field(
        default=int(matching.DEFAULT_TTL.total_seconds() // 3600),
        ge=1,
        le=int(matching.MAX_TTL.total_seconds() // 3600),
        description="Hours until the list deletes itself even if never marked matched",
    )


@router.get("", summary="The stored exports (no contents)")
def list_exports(runtime: RuntimeDep, staff: MarketingStaff) -> list[matching.ExportRead]:
    with runtime.uow.read() as session:
        return matching.list_exports(session)


@router.post("", status_code=201, summary="Create a hashed, encrypted export of the non-opted-out customers")
def create(body: ExportCreate, runtime: RuntimeDep, staff: WritingStaff) -> matching.ExportRead:
    with runtime.uow.begin() as session:
        return matching.create_export(
            session,
            runtime.policy,
            recipient=body.recipient,
            actor=Actor.staff(staff.id),
            clock=runtime.clock,
            secret=runtime.settings.secret_key,
            ttl=timedelta(hours=body.ttl_hours),
        )


@router.get("/{export_id}/download", summary="The CSV of SHA-256 hashes (audited)")
def download(export_id: str, runtime: RuntimeDep, staff: MarketingStaff) -> Response:
    with runtime.uow.begin() as session:
        text = matching.download_csv(
            session,
            runtime.policy,
            export_id,
            actor=Actor.staff(staff.id),
            clock=runtime.clock,
            secret=runtime.settings.secret_key,
        )
    return Response(
        content=text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="matching-{export_id}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/{export_id}/matched", summary="The recipient finished matching: delete the list now")
def matched(export_id: str, runtime: RuntimeDep, staff: WritingStaff) -> matching.ExportRead:
    with runtime.uow.begin() as session:
        return matching.mark_matched(
            session, runtime.policy, export_id, actor=Actor.staff(staff.id), clock=runtime.clock
        )


@router.post("/purge", summary="Delete every matched or expired export now")
def purge(runtime: RuntimeDep, staff: WritingStaff) -> dict[str, int]:
    with runtime.uow.begin() as session:
        return {"deleted": matching.purge_expired(session, runtime.clock, actor=Actor.staff(staff.id))}
