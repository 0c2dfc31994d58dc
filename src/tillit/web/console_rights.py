"""DPO console: rights requests (`/console/rights`).

The list shows every request with its deadline; overdue and due-soon ones carry a tag and sort first, and
a bar chart (inline SVG, nothing from a CDN) shows how long completed requests took. A request's page
shows what executing it would touch (the preview, whose reads `rights.service` audits) before the DPO
executes it, the evidence afterwards, the processors notified by webhook, and for access requests the
package's readable page. Extending a deadline needs a reason, which is mailed to the requester when an
e-mail address is known (the address the public form verified, else the subject's e-mail identity) and
then recorded as notified. Staff file requests received by letter or phone here too.

Only staff with `rights.manage` (the `dpo` role) pass `_dpo`; every form carries the session's CSRF token.
"""

from __future__ import annotations

import io
import statistics
import zipfile
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tillit.auth import service as auth_service
from tillit.auth.schemas import Principal
from tillit.core.errors import TillitError
from tillit.core.mail import MailError
from tillit.main import runtime_of
from tillit.policy.i18n import N_
from tillit.rights import notices, verification, webhooks
from tillit.rights import service as rights_service
from tillit.rights.schemas import CHANNELS, REQUEST_TYPES, STATUSES, RequestCreate, RequestRead
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service
from tillit.web.console_render import csrf_problem, forbidden_page, gettext, language, page, staff_or_redirect
from tillit.web.rights_form import RECTIFY_KINDS, details_from_form, mailer, purposes_for

router = APIRouter(include_in_schema=False)
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
PATH = "/console/rights"
BUCKETS: tuple[tuple[int, int, str], ...] = (
    (0, 7, "0–7"),
    (8, 14, "8–14"),
    (15, 21, "15–21"),
    (22, 31, "22–31"),
    (32, 62, "32–62"),
    (63, 92, "63–92"),
    (93, 100_000, "93+"),
)
NOTICES = {
    "filed": N_("The request is registered."),
    "executed": N_("The request is executed."),
    "extended": N_("The deadline is extended and the requester has been told."),
    "extended_no_mail": N_(
        "The deadline is extended. No e-mail address is known: tell the requester by letter."
    ),
    "rejected": N_("The request is rejected."),
}
STAFF_CHANNELS = ("letter", "phone", "email")
Due = Literal["", "overdue", "due_soon"]


def _dpo(request: Request, runtime: Runtime) -> Principal | Response:
    staff = staff_or_redirect(request, runtime)
    if isinstance(staff, Response):
        return staff
    if not auth_service.has_permission(staff, "rights.manage"):
        message = gettext(
            language(request, runtime), N_("Your role does not allow handling rights requests.")
        )
        return forbidden_page(request, runtime, staff, message)
    return staff


def chart(requests: list[RequestRead], width: int = 560, height: int = 160) -> dict[str, Any]:
    """Completed requests per number of days taken, as SVG bar coordinates, with the median."""
    days = [
        max((r.completed_at - r.received_at).days, 0)
        for r in requests
        if r.status == "completed" and r.completed_at is not None
    ]
    counts = [sum(1 for d in days if low <= d <= high) for low, high, _label in BUCKETS]
    peak = max(counts, default=0) or 1
    slot = width / len(BUCKETS)
    bars = []
    for i, ((low, _high, label), count) in enumerate(zip(BUCKETS, counts, strict=True)):
        h = count / peak * (height - 24)
        bars.append(
            {
                "x": round(i * slot + 4, 1),
                "y": round(height - 18 - h, 1),
                "w": round(slot - 8, 1),
                "h": round(h, 1),
                "label": label,
                "count": count,
                "late": low > 31,
                "tx": round(i * slot + slot / 2, 1),
            }
        )
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "total": len(days),
        "median": statistics.median(days) if days else None,
    }


@router.get(PATH)
def rights_list(request: Request, runtime: RuntimeDep) -> Response:
    staff = _dpo(request, runtime)
    if isinstance(staff, Response):
        return staff
    return _list(request, runtime, staff)


def _list(
    request: Request, runtime: Runtime, staff: Principal, *, error: str | None = None, status_code: int = 200
) -> Response:
    query = request.query_params
    status = query.get("status") if query.get("status") in STATUSES else None
    type_ = query.get("type") if query.get("type") in REQUEST_TYPES else None
    due = query.get("due") if query.get("due") in ("overdue", "due_soon") else ""
    with runtime.uow.read() as session:
        every = rights_service.list_requests(session, clock=runtime.clock)
        failed = webhooks.deliveries(session, status="failed")
    shown = [
        r
        for r in every
        if (status is None or r.status == status)
        and (type_ is None or r.type == type_)
        and (due != "overdue" or r.overdue)
        and (due != "due_soon" or r.due_soon)
    ]
    shown.sort(key=lambda r: (not r.overdue, not r.due_soon, r.status in ("completed", "rejected"), r.due_at))
    lang = language(request, runtime)
    return page(
        request,
        runtime,
        "console/rights.html.j2",
        status_code=status_code,
        staff=staff,
        notice=NOTICES.get(query.get("notice") or ""),
        error=error,
        requests=shown,
        counts={
            "open": sum(1 for r in every if r.status not in ("completed", "rejected")),
            "overdue": sum(1 for r in every if r.overdue),
            "due_soon": sum(1 for r in every if r.due_soon),
        },
        filters={"status": status or "", "type": type_ or "", "due": due},
        statuses=STATUSES,
        types=REQUEST_TYPES,
        type_names=notices.TYPE_NAMES,
        status_names=notices.STATUS_NAMES,
        chart=chart(every),
        failed=failed,
        channels=STAFF_CHANNELS,
        kinds=RECTIFY_KINDS,
        purposes=purposes_for(runtime.policy, lang),
    )


@router.post(PATH)
def staff_file(
    request: Request,
    runtime: RuntimeDep,
    type: Annotated[str, Form(max_length=32)],
    channel: Annotated[str, Form(max_length=32)] = "letter",
    identifier_kind: Annotated[str, Form(max_length=32)] = "email",
    identifier: Annotated[str, Form(max_length=254)] = "",
    requester_email: Annotated[str, Form(max_length=254)] = "",
    request_language: Annotated[str, Form(max_length=8)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    value: Annotated[str, Form(max_length=500)] = "",
    purposes: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """A request received by letter, phone or e-mail, filed for the subject the DPO identified."""
    staff = _dpo(request, runtime)
    if isinstance(staff, Response):
        return staff
    if (problem := csrf_problem(request, runtime, csrf_token)) is not None:
        return forbidden_page(request, runtime, staff, problem)
    policy, secret = runtime.policy, runtime.settings.secret_key
    lang = language(request, runtime)
    try:
        with runtime.uow.begin() as session:
            subject = subjects_service.find_by_identifier(
                session,
                identifier_kind,
                identifier,
                secret=secret,
                default_region=policy.organisation.country,
            )
            if subject is None:
                raise ValueError(gettext(lang, N_("No person has that identifier.")))
            data = RequestCreate(
                type=type,
                channel=channel if channel in CHANNELS else "letter",
                language=request_language
                if request_language in policy.languages
                else subject.language or policy.organisation.default_language,
                subject_id=subject.id,
                requester_email=requester_email.strip() or None,
                details=details_from_form(type, kind, value, purposes or []),
            )
            filed = rights_service.file_request(
                session, policy, data, clock=runtime.clock, actor=f"staff:{staff.id}", secret=secret
            )
    except (ValidationError, ValueError, TillitError) as exc:
        message = exc.message if isinstance(exc, TillitError) else str(exc).splitlines()[0]
        return _list(request, runtime, staff, error=message, status_code=422)
    return RedirectResponse(f"{PATH}/{filed.id}?notice=filed", status_code=303)


@router.get(PATH + "/{request_id}")
def request_page(request_id: str, request: Request, runtime: RuntimeDep) -> Response:
    staff = _dpo(request, runtime)
    if isinstance(staff, Response):
        return staff
    policy, secret = runtime.policy, runtime.settings.secret_key
    try:
        with runtime.uow.begin() as session:
            found = rights_service.get(session, request_id, clock=runtime.clock)
            is_open = found.status not in ("completed", "rejected")
            preview = (
                rights_service.preview(session, policy, request_id, clock=runtime.clock, secret=secret)
                if is_open and found.subject_id is not None
                else None
            )
            evidence = rights_service.evidence(session, request_id)
            deliveries = webhooks.deliveries(session, request_id=request_id)
            check = verification.status_of(session, request_id)
    except TillitError as exc:
        return forbidden_page(request, runtime, staff, exc.message)
    return page(
        request,
        runtime,
        "console/rights_request.html.j2",
        staff=staff,
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        item=found,
        is_open=is_open,
        preview=preview,
        evidence=evidence,
        deliveries=deliveries,
        verification=check,
        type_names=notices.TYPE_NAMES,
        status_names=notices.STATUS_NAMES,
        has_package=found.status == "completed" and found.type in ("access", "portability"),
    )


@router.post(PATH + "/{request_id}/execute")
def execute(
    request_id: str,
    request: Request,
    runtime: RuntimeDep,
    csrf_token: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Execute, queueing processor webhooks in the same transaction; then try to deliver them at once."""
    staff = _dpo(request, runtime)
    if isinstance(staff, Response):
        return staff
    if (problem := csrf_problem(request, runtime, csrf_token)) is not None:
        return forbidden_page(request, runtime, staff, problem)
    secret = runtime.settings.secret_key
    try:
        with runtime.uow.begin() as session:
            notifier = webhooks.WebhookNotifier(session, runtime.policy, runtime.clock)
            rights_service.execute(
                session,
                runtime.policy,
                request_id,
                actor=f"staff:{staff.id}",
                clock=runtime.clock,
                secret=secret,
                notifier=notifier,
            )
    except TillitError as exc:
        return forbidden_page(request, runtime, staff, exc.message)
    if notifier.queued:
        with runtime.uow.begin() as session:
            webhooks.deliver_pending(session, runtime.clock, webhooks.UrllibPoster(timeout=5), secret=secret)
    return RedirectResponse(f"{PATH}/{request_id}?notice=executed", status_code=303)


@router.post(PATH + "/{request_id}/extend")
def extend(
    request_id: str,
    request: Request,
    runtime: RuntimeDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Extend by two months with a reason, mail the reason to the requester, record that it was sent."""
    staff = _dpo(request, runtime)
    if isinstance(staff, Response):
        return staff
    if (problem := csrf_problem(request, runtime, csrf_token)) is not None:
        return forbidden_page(request, runtime, staff, problem)
    if not reason.strip():
        message = gettext(language(request, runtime), N_("Give the reason for the extension."))
        return forbidden_page(request, runtime, staff, message)
    secret = runtime.settings.secret_key
    try:
        with runtime.uow.begin() as session:
            extended = rights_service.extend(session, request_id, reason=reason.strip(), clock=runtime.clock)
            address = _requester_address(session, extended, secret)
            if address is not None:
                mailer(runtime).send(notices.extension_mail(runtime.policy, extended, address))
                rights_service.mark_extension_notified(session, request_id, clock=runtime.clock)
    except MailError:
        message = gettext(
            language(request, runtime), N_("The e-mail could not be sent; nothing was changed.")
        )
        return forbidden_page(request, runtime, staff, message)
    except TillitError as exc:
        return forbidden_page(request, runtime, staff, exc.message)
    notice = "extended" if address is not None else "extended_no_mail"
    return RedirectResponse(f"{PATH}/{request_id}?notice={notice}", status_code=303)


def _requester_address(session: Any, found: RequestRead, secret: str) -> str | None:
    address = verification.verified_email(session, found.id, secret=secret)
    if address is None and found.subject_id is not None:
        emails = subjects_service.identities_of(session, found.subject_id, secret=secret).get("email", [])
        address = emails[0] if emails else None
    return address


@router.get(PATH + "/{request_id}/package", response_class=HTMLResponse)
def package_preview(request_id: str, request: Request, runtime: RuntimeDep) -> Response:
    """The readable page of the access package, as the person will see it (read from the zip itself)."""
    staff = _dpo(request, runtime)
    if isinstance(staff, Response):
        return staff
    try:
        with runtime.uow.begin() as session:
            data = rights_service.access_package(
                session, runtime.policy, request_id, clock=runtime.clock, secret=runtime.settings.secret_key
            )
    except TillitError as exc:
        return forbidden_page(request, runtime, staff, exc.message)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        html = archive.read("index.html").decode("utf-8")
    return HTMLResponse(
        html,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )
