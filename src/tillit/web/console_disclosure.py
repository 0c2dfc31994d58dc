"""Security officer's console: disclosure to authorities (`/console/disclosure`).

A police request is registered with the court order's reference, one subscriber identifier and a period;
the request page lists the logged communications with location in that period (every view audited by
`disclosure.service`), and "Disclose" hands them over as a CSV download and records it. Only staff with
`disclosure.manage` (the `security_officer` role) get past `_officer`; everyone else gets 403, the DPO
included: the rights requests live in `/console/rights`, apart from this.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from tillit.auth import service as auth_service
from tillit.auth.schemas import Principal
from tillit.core.errors import TillitError
from tillit.disclosure import service
from tillit.disclosure.schemas import DisclosureCreate
from tillit.main import runtime_of
from tillit.policy.i18n import N_
from tillit.runtime import Runtime
from tillit.web.console_render import csrf_problem, forbidden_page, gettext, language, page, staff_or_redirect
from tillit.web.deps import STAFF_COOKIE, check_csrf

router = APIRouter(include_in_schema=False)
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
PATH = "/console/disclosure"
KINDS = (
    ("phone", N_("Phone number")),
    ("customer_number", N_("Customer number")),
    ("national_id", N_("National ID number")),
    ("email", N_("E-mail address")),
)


def api_csrf(request: Request, runtime: RuntimeDep) -> None:
    """CSRF for the JSON writes of `/api/v1/disclosure`: the staff session's token in `X-CSRF-Token`."""
    check_csrf(request, runtime, STAFF_COOKIE, None)


def _officer(request: Request, runtime: Runtime) -> Principal | Response:
    staff = staff_or_redirect(request, runtime)
    if isinstance(staff, Response):
        return staff
    if not auth_service.has_permission(staff, "disclosure.manage"):
        message = gettext(language(request, runtime), N_("Only a security officer may handle disclosures."))
        return forbidden_page(request, runtime, staff, message)
    return staff


@router.get(PATH)
def disclosure_list(request: Request, runtime: RuntimeDep) -> Response:
    officer = _officer(request, runtime)
    if isinstance(officer, Response):
        return officer
    return _list(request, runtime, officer)


def _list(
    request: Request, runtime: Runtime, officer: Principal, *, error: str | None = None, status: int = 200
) -> Response:
    with runtime.uow.begin() as session:
        rows = service.list_requests(session, staff_id=officer.id, clock=runtime.clock)
    return page(
        request,
        runtime,
        "console/disclosure.html.j2",
        status_code=status,
        staff=officer,
        rows=rows,
        kinds=KINDS,
        error=error,
        available=bool(service.logging_datasets(runtime.policy)),
    )


def _when(value: str) -> datetime:
    """A date or date-time from the form, read as UTC."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.post(PATH)
def register(
    request: Request,
    runtime: RuntimeDep,
    authority: Annotated[str, Form(max_length=200)] = "",
    court_order_reference: Annotated[str, Form(max_length=200)] = "",
    case_reference: Annotated[str, Form(max_length=200)] = "",
    identifier_kind: Annotated[str, Form(max_length=32)] = "phone",
    identifier: Annotated[str, Form(max_length=64)] = "",
    period_start: Annotated[str, Form(max_length=40)] = "",
    period_end: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Register a request; refused (422, nothing stored or read) without a court-order reference."""
    officer = _officer(request, runtime)
    if isinstance(officer, Response):
        return officer
    if (problem := csrf_problem(request, runtime, csrf_token)) is not None:
        return forbidden_page(request, runtime, officer, problem)
    lang = language(request, runtime)
    if not court_order_reference.strip():
        message = gettext(lang, N_("A disclosure needs the reference of the court order."))
        return _list(request, runtime, officer, error=message, status=422)
    try:
        data = DisclosureCreate(
            authority=authority,
            court_order_reference=court_order_reference,
            case_reference=case_reference or None,
            identifier_kind=identifier_kind,
            identifier=identifier,
            period_start=_when(period_start),
            period_end=_when(period_end),
        )
        with runtime.uow.begin() as session:
            created = service.register(
                session,
                runtime.policy,
                data,
                staff_id=officer.id,
                clock=runtime.clock,
                secret=runtime.settings.secret_key,
            )
    except (ValidationError, ValueError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else [{"msg": str(exc)}]
        message = gettext(lang, N_("Check the form: %(problem)s")) % {"problem": errors[0]["msg"]}
        return _list(request, runtime, officer, error=message, status=422)
    except TillitError as exc:
        return _list(request, runtime, officer, error=exc.message, status=exc.http_status)
    return RedirectResponse(f"{PATH}/{created.id}", status_code=303)


@router.get(PATH + "/{disclosure_id}")
def disclosure_page(disclosure_id: str, request: Request, runtime: RuntimeDep) -> Response:
    """The request and the records it covers; the view is audited."""
    officer = _officer(request, runtime)
    if isinstance(officer, Response):
        return officer
    try:
        with runtime.uow.begin() as session:
            found = service.get(session, disclosure_id, staff_id=officer.id, clock=runtime.clock)
            records = service.records(
                session,
                runtime.policy,
                disclosure_id,
                staff_id=officer.id,
                clock=runtime.clock,
                secret=runtime.settings.secret_key,
            )
    except TillitError as exc:
        return page(
            request,
            runtime,
            "console/message.html.j2",
            status_code=exc.http_status,
            staff=officer,
            message=exc.message,
        )
    return page(
        request, runtime, "console/disclosure_request.html.j2", staff=officer, item=found, records=records
    )


@router.post(PATH + "/{disclosure_id}/disclose")
def disclose(
    disclosure_id: str,
    request: Request,
    runtime: RuntimeDep,
    csrf_token: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Hand the records over as CSV and record the disclosure (count, officer, time)."""
    officer = _officer(request, runtime)
    if isinstance(officer, Response):
        return officer
    if (problem := csrf_problem(request, runtime, csrf_token)) is not None:
        return forbidden_page(request, runtime, officer, problem)
    with runtime.uow.begin() as session:
        found, records = service.disclose(
            session,
            runtime.policy,
            disclosure_id,
            staff_id=officer.id,
            clock=runtime.clock,
            secret=runtime.settings.secret_key,
        )
    out = io.StringIO()
    writer = csv.writer(out)
    columns = list(type(records[0]).model_fields) if records else ["started_at"]
    writer.writerow(["court_order_reference", *columns])
    for record in records:
        values = record.model_dump(mode="json")
        writer.writerow([found.court_order_reference, *(values[c] for c in columns)])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="disclosure-{found.id}.csv"',
            "Cache-Control": "no-store",
        },
    )
