"""JSON endpoints of the disclosure register (`/api/v1/disclosure`), thin over `disclosure.service`.

The caller passes the dependencies that authenticate (a staff member with `disclosure.manage`) and check
CSRF on writes, so this domain imports no entry point (see the import-linter contracts). No
`from __future__ import annotations` here: the dependency aliases are local to `build_router`, and FastAPI
must see them as objects, not as strings it would resolve in the module's globals.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from tillit.auth.schemas import Principal
from tillit.disclosure import service
from tillit.disclosure.schemas import DisclosureCreate, DisclosureRead
from tillit.runtime import Runtime


def build_router(
    runtime_of: Callable[[Request], Awaitable[Runtime]],
    manager: Callable[..., Principal],
    csrf: Callable[..., None],
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/disclosure", tags=["disclosure"])
    RuntimeDep = Annotated[Runtime, Depends(runtime_of)]  # noqa: N806 - a type alias
    Officer = Annotated[Principal, Depends(manager)]  # noqa: N806

    @router.get("", summary="The register of disclosure requests (security officer)")
    def list_disclosures(runtime: RuntimeDep, officer: Officer) -> list[DisclosureRead]:
        with runtime.uow.begin() as session:
            return service.list_requests(session, staff_id=officer.id, clock=runtime.clock)

    @router.post(
        "",
        status_code=201,
        summary="Register a police request (court order required)",
        dependencies=[Depends(csrf)],
    )
    def register(runtime: RuntimeDep, officer: Officer, body: DisclosureCreate) -> DisclosureRead:
        with runtime.uow.begin() as session:
            return service.register(
                session,
                runtime.policy,
                body,
                staff_id=officer.id,
                clock=runtime.clock,
                secret=runtime.settings.secret_key,
            )

    @router.get("/{disclosure_id}/records", summary="The records a request covers (audited)")
    def records(runtime: RuntimeDep, officer: Officer, disclosure_id: str) -> dict[str, Any]:
        with runtime.uow.begin() as session:
            found = service.records(
                session,
                runtime.policy,
                disclosure_id,
                staff_id=officer.id,
                clock=runtime.clock,
                secret=runtime.settings.secret_key,
            )
            request = service.get(session, disclosure_id, staff_id=officer.id, clock=runtime.clock)
        return {
            "request": request.model_dump(mode="json"),
            "records": [r.model_dump(mode="json") for r in found],
        }

    return router
