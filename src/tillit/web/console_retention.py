"""DPO console: retention (`/console/retention`): proofs of deletion, legal holds, the deletion forecast.

Server-rendered like the rest of the console; the forecast chart is inline SVG drawn from numbers
computed here (no chart library, nothing from a CDN). Placing and releasing a legal hold are form posts
with the session's CSRF token; both are audited by `retention.legal`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from tillit.auth import service as auth_service
from tillit.auth.schemas import Principal
from tillit.core.errors import TillitError
from tillit.main import runtime_of
from tillit.policy.i18n import N_
from tillit.retention import forecast as forecast_service
from tillit.retention import legal, sweeper
from tillit.retention.sweep_schemas import ForecastRow
from tillit.runtime import Runtime
from tillit.web.console_render import csrf_problem, forbidden_page, gettext, language, page, staff_or_redirect

router = APIRouter(include_in_schema=False)
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
PATH = "/console/retention"
COLOURS = ("#1f5f8b", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#2c3e50")
PROOF_DAYS, FORECAST_DAYS = 90, 182


def _dpo(request: Request, runtime: Runtime) -> Principal | Response:
    staff = staff_or_redirect(request, runtime)
    if isinstance(staff, Response):
        return staff
    if not auth_service.has_permission(staff, "retention.manage"):
        message = gettext(language(request, runtime), N_("Your role does not allow managing retention."))
        return forbidden_page(request, runtime, staff, message)
    return staff


@router.get(PATH)
def retention_page(request: Request, runtime: RuntimeDep) -> Response:
    staff = _dpo(request, runtime)
    if isinstance(staff, Response):
        return staff
    return _render(request, runtime, staff, notice=request.query_params.get("notice"))


def _render(
    request: Request,
    runtime: Runtime,
    staff: Principal,
    *,
    notice: str | None = None,
    error: str | None = None,
) -> Response:
    now = runtime.clock.now()
    with runtime.uow.read() as session:
        proofs = sweeper.proofs_between(session, now - timedelta(days=PROOF_DAYS), now + timedelta(days=1))
        holds = legal.list_holds(session)
        rows = forecast_service.forecast(session, runtime.clock, FORECAST_DAYS)
    return page(
        request,
        runtime,
        "console/retention.html.j2",
        status_code=422 if error else 200,
        staff=staff,
        notice={"placed": N_("Legal hold placed."), "released": N_("Legal hold released.")}.get(notice or ""),
        error=error,
        proofs=list(reversed(proofs))[:200],
        holds=holds,
        chart=chart(rows),
        proof_days=PROOF_DAYS,
    )


@router.post(f"{PATH}/legal-holds")
def place_legal_hold(
    request: Request,
    runtime: RuntimeDep,
    reason: Annotated[str, Form()],
    authority: Annotated[str, Form()],
    subject_id: Annotated[str, Form()] = "",
    record: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Place a legal hold on a subject id, or on a record given as KIND:ID."""
    staff = _dpo(request, runtime)
    if isinstance(staff, Response):
        return staff
    if (problem := csrf_problem(request, runtime, csrf_token)) is not None:
        return forbidden_page(request, runtime, staff, problem)
    kind, _sep, record_id = record.strip().partition(":")
    try:
        with runtime.uow.begin() as session:
            legal.place(
                session,
                reason=reason,
                authority=authority,
                placed_by=staff.id,
                clock=runtime.clock,
                subject_id=subject_id.strip() or None,
                record_type=kind or None,
                record_id=record_id or None,
            )
    except TillitError as exc:
        return _render(request, runtime, staff, error=exc.message)
    return RedirectResponse(f"{PATH}?notice=placed", status_code=303)


@router.post(PATH + "/legal-holds/{legal_hold_id}/release")
def release_legal_hold(
    legal_hold_id: str,
    request: Request,
    runtime: RuntimeDep,
    reason: Annotated[str, Form()],
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    staff = _dpo(request, runtime)
    if isinstance(staff, Response):
        return staff
    if (problem := csrf_problem(request, runtime, csrf_token)) is not None:
        return forbidden_page(request, runtime, staff, problem)
    try:
        with runtime.uow.begin() as session:
            legal.release(session, legal_hold_id, released_by=staff.id, reason=reason, clock=runtime.clock)
    except TillitError as exc:
        return _render(request, runtime, staff, error=exc.message)
    return RedirectResponse(f"{PATH}?notice=released", status_code=303)


def chart(rows: list[ForecastRow], width: int = 720, height: int = 220) -> dict[str, Any]:
    """Stacked weekly bars per purpose as SVG rectangles (coordinates only; the template draws them)."""
    weeks = sorted({r.week for r in rows})
    purposes = sorted({r.purpose for r in rows})
    totals = {w: sum(r.records for r in rows if r.week == w) for w in weeks}
    peak = max(totals.values(), default=0) or 1
    slot = width / max(len(weeks), 1)
    colour = {p: COLOURS[i % len(COLOURS)] for i, p in enumerate(purposes)}
    bars: list[dict[str, Any]] = []
    for i, week in enumerate(weeks):
        y = float(height)
        for row in (r for r in rows if r.week == week and r.records):
            h = row.records / peak * (height - 10)
            y -= h
            bars.append(
                {
                    "x": round(i * slot + 1, 1),
                    "y": round(y, 1),
                    "w": round(max(slot - 2, 1), 1),
                    "h": round(h, 1),
                    "fill": colour[row.purpose],
                    "title": f"{week.isoformat()} {row.purpose}: {row.records}",
                }
            )
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "peak": peak,
        "legend": [{"purpose": p, "fill": colour[p]} for p in purposes],
        "first": weeks[0].isoformat() if weeks else "",
        "last": weeks[-1].isoformat() if weeks else "",
        "table": [{"week": w.isoformat(), "records": totals[w]} for w in weeks if totals[w]],
    }
