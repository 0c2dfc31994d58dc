"""The privacy centre's "Your rights" page: a logged-in customer files requests and follows their own.

`/privacy-centre/rights`: file any request type, see one's own requests with their deadlines, download
the access or portability package once completed. The person is known (logged in), so the request is
filed for their subject and its clock runs at once. Anyone else files through the public form with an
e-mail code (`web.rights_public`).

Stable element ids (tests rely on them): `#rights-filed`, the list `#my-requests` with rows
`#request-<id>` (`data-status`), and `#package-<id>` download links; the form's own in `web.rights_form`.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tillit.core.errors import NotFoundError, TillitError
from tillit.policy.i18n import Wording
from tillit.rights import notices
from tillit.rights import service as rights_service
from tillit.rights.schemas import RequestCreate, RequestRead
from tillit.runtime import Runtime
from tillit.web import router as pages
from tillit.web.deps import (
    CUSTOMER_COOKIE,
    CustomerDep,
    RuntimeDep,
    check_csrf,
    csrf_token_for,
    optional_customer,
)
from tillit.web.rights_form import details_from_form, form_context, problem

router = APIRouter(include_in_schema=False)
CENTRE = "/privacy-centre/rights"
PACKAGES = frozenset({"access", "portability"})


def request_rows(requests: list[RequestRead], lang: str) -> list[dict[str, Any]]:
    words = Wording(lang)
    return [
        {
            "id": r.id,
            "type": words._(notices.TYPE_NAMES[r.type]),
            "status": r.status,
            "status_text": words._(notices.STATUS_NAMES[r.status]),
            "received": words.date(r.received_at.date()),
            "due": words.date(r.due_at.date()),
            "package": r.status == "completed" and r.type in PACKAGES,
        }
        for r in requests
    ]


@router.get(CENTRE, response_class=HTMLResponse)
def centre_rights(request: Request, runtime: RuntimeDep, lang: pages.LangQuery = None) -> Response:
    policy = runtime.policy
    chosen = pages._chosen_language(policy, lang)
    if chosen is None:
        return pages._unknown_language(policy, lang or "", CENTRE)
    customer = optional_customer(request, runtime)
    if customer is None:
        target = quote(f"{CENTRE}?lang={chosen}", safe="")
        return RedirectResponse(f"/login?lang={chosen}&next={target}", status_code=303)
    with runtime.uow.read() as session:
        mine = rights_service.list_requests(session, clock=runtime.clock, subject_id=customer.id)
    return _centre_page(request, runtime, chosen, mine, filed=request.query_params.get("filed", ""))


def _centre_page(
    request: Request,
    runtime: Runtime,
    lang: str,
    mine: list[RequestRead],
    *,
    filed: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    policy = runtime.policy
    return pages._page(
        lang,
        "rights_centre.html.j2",
        status_code=status_code,
        policy=policy,
        languages=pages._languages(policy, lang, CENTRE),
        csrf_token=csrf_token_for(request, runtime, CUSTOMER_COOKIE),
        requests=request_rows(mine, lang),
        filed=filed,
        error=error,
        action=CENTRE,
        **form_context(policy, lang),
    )


@router.post(CENTRE)
def centre_file(
    request: Request,
    runtime: RuntimeDep,
    customer: CustomerDep,
    type: Annotated[str, Form(max_length=32)],
    kind: Annotated[str, Form(max_length=32)] = "",
    value: Annotated[str, Form(max_length=500)] = "",
    purposes: Annotated[list[str] | None, Form()] = None,
    lang: Annotated[str, Form(max_length=8)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """File a request for the logged-in customer; its clock runs from now."""
    check_csrf(request, runtime, CUSTOMER_COOKIE, csrf_token)
    policy = runtime.policy
    language = lang if lang in policy.languages else policy.organisation.default_language
    try:
        data = RequestCreate(
            type=type,
            channel="privacy_centre",
            language=language,
            subject_id=customer.id,
            details=details_from_form(type, kind, value, purposes or []),
        )
        with runtime.uow.begin() as session:
            filed = rights_service.file_request(
                session,
                policy,
                data,
                clock=runtime.clock,
                actor=f"customer:{customer.id}",
                secret=runtime.settings.secret_key,
            )
    except (ValidationError, TillitError) as exc:
        with runtime.uow.read() as session:
            mine = rights_service.list_requests(session, clock=runtime.clock, subject_id=customer.id)
        return _centre_page(request, runtime, language, mine, error=problem(language, exc), status_code=422)
    return RedirectResponse(f"{CENTRE}?lang={language}&filed={filed.id}#rights-filed", status_code=303)


@router.get(CENTRE + "/{request_id}/package")
def centre_package(request_id: str, runtime: RuntimeDep, customer: CustomerDep) -> Response:
    """The completed access (or portability) package of one's own request, as a zip download."""
    with runtime.uow.begin() as session:
        found = rights_service.get(session, request_id, clock=runtime.clock)
        if found.subject_id != customer.id or found.type not in PACKAGES:
            raise NotFoundError("no such request")
        if found.status != "completed":
            raise NotFoundError("the package is ready when the request is completed")
        build = (
            rights_service.access_package if found.type == "access" else rights_service.portability_package
        )
        data = build(
            session, runtime.policy, request_id, clock=runtime.clock, secret=runtime.settings.secret_key
        )
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{found.type}-{request_id}.zip"',
            "Cache-Control": "no-store",
        },
    )
