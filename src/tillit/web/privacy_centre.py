"""The privacy centre (`/privacy-centre`) and the consent JSON API (`/api/v1/consent/...`).

A logged-in customer sees every consent purpose, every channel reservation of opt-out purposes, the
legitimate-interest purposes they may object to, their history, and a receipt per event. Each change is
a small form posted with the session's CSRF token; it is recorded at once (source `privacy_centre`) and
the page shows the new state. Not logged in: a redirect to `/login`.

Stable element ids (the browser test relies on them):
- consents: `#consent-<purpose>` with `data-state` (`granted`, `withdrawn`, `none`, `partly`), status
  text `#state-consent-<purpose>`, buttons `#grant-<purpose>` / `#withdraw-<purpose>`;
- reservations: `#reservation-<purpose>-<channel|all>` with `data-state` (`opted_out`, `objected`,
  `none`), buttons `#opt_out-<purpose>-<channel|all>` / `#opt_in-<purpose>-<channel|all>`;
- objections: `#objection-<purpose>`, buttons `#object-<purpose>` / `#lift-objection-<purpose>`;
- `#saved` (role status) after a change; `#consent-history` (rows carry `data-event-id`), receipt links
  `#receipt-<event id>`.

JSON API: `GET /api/v1/consent/receipts/{id}` (the customer's own, the visitor's own cookie events, or
staff with an audited read), `POST /api/v1/consent/events` (advisor or supervisor recording what a
customer said on the phone; CSRF header), `GET /api/v1/consent/subjects/{id}` (staff, audited),
`GET /api/v1/consent/me` (the logged-in customer).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from tillit.audit import service as audit_service
from tillit.auth.schemas import Principal
from tillit.consent import rules as consent_rules
from tillit.consent import service as consent_service
from tillit.consent.schemas import Action, ConsentEventCreate, ConsentEventRead, ConsentStateRead
from tillit.core.errors import NotFoundError, PermissionDeniedError
from tillit.policy.i18n import N_, Wording, capitalise
from tillit.policy.schema import Policy
from tillit.subjects import service as subjects_service
from tillit.web import router as pages
from tillit.web.cookies import visitor_id
from tillit.web.deps import (
    CUSTOMER_COOKIE,
    STAFF_COOKIE,
    CustomerDep,
    RuntimeDep,
    StaffDep,
    check_csrf,
    csrf_token_for,
    optional_customer,
    optional_staff,
)

router = APIRouter()
RECORDING_ROLES = frozenset({"advisor", "supervisor"})
READING_ROLES = frozenset({"advisor", "supervisor", "dpo"})
ALL = "all"

CENTRE_LINK = pages.LandingLink("/privacy-centre", N_("Privacy centre"))
if CENTRE_LINK not in pages.LANDING_LINKS:
    pages.LANDING_LINKS.append(CENTRE_LINK)


def _text(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or next(iter(texts.values()), "")


def _centre_view(policy: Policy, lang: str, states: list[ConsentStateRead]) -> dict[str, Any]:
    """What the page lists: consents, reservations and objections with each one's current state."""
    wording = Wording(lang)
    rows = {(s.purpose, s.channel): s for s in states if s.scope is None}
    cookie = consent_rules.cookie_purpose(policy)
    consents, reservations, objections = [], [], []
    for purpose in policy.purposes:
        base = {"id": purpose.id, "name": _text(purpose.name, lang), "text": _text(purpose.description, lang)}
        if purpose.legal_basis == "consent" and (cookie is None or purpose.id != cookie.id):
            general = rows.get((purpose.id, None))
            granted = sorted(
                c for (p, c), s in rows.items() if p == purpose.id and c and s.state == "granted"
            )
            state: str = general.state if general is not None else "none"
            if state != "granted" and granted:
                state = "partly"
            consents.append(
                {
                    **base,
                    "state": state,
                    "since": wording.date(general.since.date()) if general is not None else "",
                    "channels": [wording.channel(c) for c in granted],
                }
            )
        elif purpose.legal_basis == "legitimate_interests" and purpose.opt_out:
            channels: list[str | None] = list(purpose.opt_out_channels) or [None]
            items = []
            for channel in channels:
                own, general = rows.get((purpose.id, channel)), rows.get((purpose.id, None))
                deciding = own if own is not None else general
                found = deciding.state if deciding is not None else None
                items.append(
                    {
                        "key": channel or ALL,
                        "channel": channel or "",
                        "label": capitalise(wording.channel(channel)) if channel else base["name"],
                        "state": found if found in ("opted_out", "objected") else "none",
                    }
                )
            reservations.append({**base, "items": items})
        elif purpose.legal_basis == "legitimate_interests" and purpose.objection:
            general = rows.get((purpose.id, None))
            objections.append(
                {**base, "state": "objected" if general and general.state == "objected" else "none"}
            )
    return {"consents": consents, "reservations": reservations, "objections": objections}


def _history_view(policy: Policy, lang: str, events: list[ConsentEventRead]) -> list[dict[str, Any]]:
    wording = Wording(lang)
    return [
        {
            "id": e.id,
            "when": wording.date(e.occurred_at.date()),
            "at": e.occurred_at.isoformat(),
            "purpose": _text(policy.purpose(e.purpose).name, lang)
            if policy.has_purpose(e.purpose)
            else e.purpose,
            "channel": wording.channel(e.channel) if e.channel else "",
            "action": e.action,
            "source": e.source,
        }
        for e in events
    ]


@router.get("/privacy-centre", response_class=HTMLResponse, include_in_schema=False)
def privacy_centre(request: Request, runtime: RuntimeDep, lang: pages.LangQuery = None) -> Response:
    """The customer's consents, reservations, objections and history, in the pack's languages."""
    policy = runtime.policy
    chosen = pages._chosen_language(policy, lang)
    if chosen is None:
        return pages._unknown_language(policy, lang or "", "/privacy-centre")
    customer = optional_customer(request, runtime)
    if customer is None:
        target = quote(f"/privacy-centre?lang={chosen}", safe="")
        return RedirectResponse(f"/login?lang={chosen}&next={target}", status_code=303)
    with runtime.uow.read() as session:
        states = consent_service.states(session, subject_id=customer.id)
        events = consent_service.history(session, subject_id=customer.id)
    return pages._page(
        chosen,
        "privacy_centre.html.j2",
        policy=policy,
        languages=pages._languages(policy, chosen, "/privacy-centre"),
        csrf_token=csrf_token_for(request, runtime, CUSTOMER_COOKIE),
        saved=request.query_params.get("saved", ""),
        history=_history_view(policy, chosen, events),
        **_centre_view(policy, chosen, states),
    )


@router.post("/privacy-centre", include_in_schema=False)
def change_choice(
    request: Request,
    runtime: RuntimeDep,
    customer: CustomerDep,
    purpose: Annotated[str, Form(max_length=64)],
    action: Annotated[Action, Form()],
    channel: Annotated[str, Form(max_length=32)] = "",
    lang: Annotated[str, Form(max_length=8)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Record one change by the customer; it takes effect in the same transaction."""
    check_csrf(request, runtime, CUSTOMER_COOKIE, csrf_token)
    policy = runtime.policy
    language = lang if lang in policy.languages else policy.organisation.default_language
    with runtime.uow.begin() as session:
        consent_service.record_event(
            session,
            policy,
            ConsentEventCreate(
                subject_id=customer.id,
                purpose=purpose,
                channel=channel or None,
                action=action,
                source="privacy_centre",
                actor_type="customer",
                actor_id=customer.id,
                language=language,
            ),
            clock=runtime.clock,
        )
    anchor = f"{purpose}-{channel or ALL}"
    return RedirectResponse(f"/privacy-centre?lang={language}&saved={quote(anchor)}#saved", status_code=303)


class StaffConsentEvent(BaseModel):
    """What an advisor records after a customer gave or withdrew a consent or reservation on the phone."""

    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(min_length=1, max_length=36)
    purpose: str = Field(min_length=1, max_length=64)
    action: Action
    channel: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, max_length=8)
    notice_text: str | None = Field(
        default=None, max_length=20_000, description="What the advisor read out; default: the purpose text"
    )


def _require_role(staff: Principal, roles: frozenset[str]) -> None:
    if not roles.intersection(staff.roles):
        raise PermissionDeniedError("your role does not allow this")


@router.post(
    "/api/v1/consent/events", tags=["consent"], status_code=201, summary="Record a consent given by phone"
)
def record_phone_event(
    request: Request, runtime: RuntimeDep, staff: StaffDep, body: StaffConsentEvent
) -> dict[str, Any]:
    """An advisor or supervisor records a consent, withdrawal, reservation or objection the customer stated
    on the phone (source `phone_advisor`). Needs the staff session's CSRF token in `X-CSRF-Token`."""
    _require_role(staff, RECORDING_ROLES)
    check_csrf(request, runtime, STAFF_COOKIE, None)
    with runtime.uow.begin() as session:
        subjects_service.get_subject(session, body.subject_id, secret=runtime.settings.secret_key)
        result = consent_service.record_event(
            session,
            runtime.policy,
            ConsentEventCreate(
                subject_id=body.subject_id,
                purpose=body.purpose,
                channel=body.channel,
                action=body.action,
                source="phone_advisor",
                actor_type="staff",
                actor_id=staff.id,
                language=body.language,
                notice_text=body.notice_text,
            ),
            clock=runtime.clock,
        )
    return result.model_dump(mode="json")


@router.get("/api/v1/consent/subjects/{subject_id}", tags=["consent"], summary="A subject's consents (staff)")
def subject_consents(runtime: RuntimeDep, staff: StaffDep, subject_id: str) -> dict[str, Any]:
    """The subject's current states and history for an advisor on the phone; the read is audited."""
    _require_role(staff, READING_ROLES)
    with runtime.uow.begin() as session:
        states = consent_service.states(session, subject_id=subject_id)
        events = consent_service.history(session, subject_id=subject_id)
        audit_service.record(
            session,
            actor_type="staff",
            actor_id=staff.id,
            action="consent.read",
            subject_id=subject_id,
            record_type="consent_state",
            detail={"states": len(states), "events": len(events)},
            clock=runtime.clock,
        )
    return {
        "states": [s.model_dump(mode="json") for s in states],
        "events": [e.model_dump(mode="json") for e in events],
    }


@router.get("/api/v1/consent/me", tags=["consent"], summary="The logged-in customer's consents")
def my_consents(runtime: RuntimeDep, customer: CustomerDep) -> dict[str, Any]:
    with runtime.uow.read() as session:
        states = consent_service.states(session, subject_id=customer.id)
        events = consent_service.history(session, subject_id=customer.id)
    return {
        "states": [s.model_dump(mode="json") for s in states],
        "events": [e.model_dump(mode="json") for e in events],
    }


@router.get(
    "/api/v1/consent/receipts/{event_id}", tags=["consent"], summary="A consent receipt (Kantara v1.1)"
)
def consent_receipt(
    request: Request,
    runtime: RuntimeDep,
    event_id: str,
    customer: Annotated[Principal | None, Depends(optional_customer)],
    staff: Annotated[Principal | None, Depends(optional_staff)],
) -> Response:
    """The receipt of one event, for its own customer or visitor, or for staff (audited). Anyone else
    gets 404, so event ids reveal nothing."""
    base = str(request.base_url).rstrip("/")
    with runtime.uow.begin() as session:
        event = consent_service.get_event(session, event_id)
        own = (customer is not None and event.subject_id == customer.id) or (
            event.visitor_id is not None and event.visitor_id == visitor_id(request)
        )
        if not own:
            if staff is None or not READING_ROLES.intersection(staff.roles):
                raise NotFoundError("no such consent event")
            audit_service.record(
                session,
                actor_type="staff",
                actor_id=staff.id,
                action="consent.receipt.read",
                purpose=event.purpose,
                subject_id=event.subject_id,
                record_type="consent_event",
                record_id=event.id,
                clock=runtime.clock,
            )
        body = consent_service.receipt(
            session,
            runtime.policy,
            event_id,
            secret=runtime.settings.secret_key,
            policy_url=f"{base}/privacy?lang={event.language}",
            privacy_centre_url=f"{base}/{'cookies' if event.visitor_id else 'privacy-centre'}",
        )
    return JSONResponse(
        body, headers={"Content-Disposition": f'attachment; filename="consent-receipt-{event_id}.json"'}
    )
