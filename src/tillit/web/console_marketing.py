"""Marketing console (`/console/marketing`) and the marketing JSON API (`/api/v1/marketing/...`).

For staff with the `marketing.campaigns` permission (role marketing): list campaigns, create one, see
its dry run (how many it reaches now and, per exclusion reason, how many it does not, with a few subject
ids), send it into the outbox. Forms carry the session's CSRF token; the API wants it in `X-CSRF-Token`.
Every step is audited by `marketing.service`.

Stable element ids (the browser test relies on them): `#campaigns` (rows `data-campaign-id`), the create
form `#new-campaign`, on a campaign page `#dry-run` (button), `#dry-run-result` with `#included`,
`#reason-<code>` (`data-count`) and `#sample` rows (`data-subject-id`, `data-reason`), `#send` (button).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError as PydanticValidationError

from tillit.audit.schemas import Actor
from tillit.auth import service as auth_service
from tillit.auth.schemas import Principal
from tillit.core.errors import TillitError
from tillit.marketing import rules, service
from tillit.marketing.schemas import CampaignCreate, CampaignRead, DryRun, MessageContent, Segment, SendResult
from tillit.policy.i18n import N_
from tillit.runtime import Runtime
from tillit.web import deps
from tillit.web.console_render import csrf_problem, forbidden_page, gettext, language, page, staff_or_redirect

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/marketing", tags=["marketing"])
PATH = "/console/marketing"
PERMISSION = "marketing.campaigns"
MarketingStaff = Annotated[Principal, Depends(deps.require_permission(PERMISSION))]
NOTICES = {"sent": N_("The campaign was queued for sending."), "created": N_("Campaign created.")}


def _marketer(request: Request, runtime: Runtime) -> Principal | Response:
    staff = staff_or_redirect(request, runtime)
    if isinstance(staff, Response):
        return staff
    if not auth_service.has_permission(staff, PERMISSION):
        message = gettext(language(request, runtime), N_("Your role does not allow marketing campaigns."))
        return forbidden_page(request, runtime, staff, message)
    return staff


def _choices(runtime: Runtime, lang: str) -> list[dict[str, Any]]:
    """The purposes a campaign may name (marketing ones, and contract ones for service messages) with
    their deliverable channels, for the create form."""
    found = []
    for purpose in runtime.policy.purposes:
        kind = "marketing" if purpose.direct_marketing else "service"
        if kind == "service" and purpose.legal_basis in ("consent", "legitimate_interests"):
            continue
        channels = [c for c in purpose.channels if c in rules.CHANNEL_ADDRESS]
        if channels:
            name = purpose.name.get(lang) or next(iter(purpose.name.values()))
            found.append({"id": purpose.id, "name": name, "kind": kind, "channels": channels})
    return found


def _render(
    request: Request,
    runtime: Runtime,
    staff: Principal,
    *,
    campaign: CampaignRead | None = None,
    dry_run: DryRun | None = None,
    error: str | None = None,
) -> Response:
    with runtime.uow.read() as session:
        campaigns = service.list_campaigns(session)
        counts = {c.id: service.outbox_counts(session, c.id) for c in campaigns}
    notice = NOTICES.get(request.query_params.get("notice") or "")
    return page(
        request,
        runtime,
        "console/marketing.html.j2",
        status_code=422 if error else 200,
        staff=staff,
        notice=notice,
        error=error,
        campaigns=campaigns,
        counts=counts,
        campaign=campaign,
        dry_run=dry_run,
        choices=_choices(runtime, language(request, runtime)),
        reason_labels=rules.REASON_LABELS,
    )


@router.get(PATH)
def marketing_page(request: Request, runtime: deps.RuntimeDep) -> Response:
    staff = _marketer(request, runtime)
    if isinstance(staff, Response):
        return staff
    return _render(request, runtime, staff)


@router.post(f"{PATH}/campaigns")
def create_campaign_form(
    request: Request,
    runtime: deps.RuntimeDep,
    name: Annotated[str, Form()],
    purpose_channel: Annotated[str, Form()],
    subject: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    languages: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Create a campaign in the default language; `purpose_channel` is `purpose:channel`."""
    staff = _marketer(request, runtime)
    if isinstance(staff, Response):
        return staff
    if (problem := csrf_problem(request, runtime, csrf_token)) is not None:
        return forbidden_page(request, runtime, staff, problem)
    purpose_id, _sep, channel = purpose_channel.partition(":")
    try:
        kind = "marketing" if runtime.policy.purpose(purpose_id).direct_marketing else "service"
        data = CampaignCreate(
            name=name.strip(),
            kind=kind,
            purpose=purpose_id,
            channel=channel,
            segment=Segment(languages=[x.strip() for x in languages.split(",") if x.strip()]),
            content={
                runtime.policy.organisation.default_language: MessageContent(subject=subject, body=body)
            },
        )
        with runtime.uow.begin() as session:
            created = service.create_campaign(
                session, runtime.policy, data, actor=Actor.staff(staff.id), clock=runtime.clock
            )
    except TillitError as exc:
        return _render(request, runtime, staff, error=exc.message)
    except PydanticValidationError as exc:  # an empty name or message
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        return _render(request, runtime, staff, error=f"{field}: {first['msg']}")
    return RedirectResponse(f"{PATH}/{created.id}?notice=created", status_code=303)


@router.get(PATH + "/{campaign_id}")
def campaign_page(campaign_id: str, request: Request, runtime: deps.RuntimeDep) -> Response:
    staff = _marketer(request, runtime)
    if isinstance(staff, Response):
        return staff
    try:
        with runtime.uow.read() as session:
            campaign = service.get_campaign(session, campaign_id)
    except TillitError as exc:
        return _render(request, runtime, staff, error=exc.message)
    return _render(request, runtime, staff, campaign=campaign)


@router.post(PATH + "/{campaign_id}/dry-run")
def dry_run_form(
    campaign_id: str,
    request: Request,
    runtime: deps.RuntimeDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    staff = _marketer(request, runtime)
    if isinstance(staff, Response):
        return staff
    if (problem := csrf_problem(request, runtime, csrf_token)) is not None:
        return forbidden_page(request, runtime, staff, problem)
    try:
        with runtime.uow.begin() as session:
            result = service.dry_run(
                session, runtime.policy, campaign_id, actor=Actor.staff(staff.id), clock=runtime.clock
            )
            campaign = service.get_campaign(session, campaign_id)
    except TillitError as exc:
        return _render(request, runtime, staff, error=exc.message)
    return _render(request, runtime, staff, campaign=campaign, dry_run=result)


@router.post(PATH + "/{campaign_id}/send")
def send_form(
    campaign_id: str,
    request: Request,
    runtime: deps.RuntimeDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    staff = _marketer(request, runtime)
    if isinstance(staff, Response):
        return staff
    if (problem := csrf_problem(request, runtime, csrf_token)) is not None:
        return forbidden_page(request, runtime, staff, problem)
    try:
        with runtime.uow.begin() as session:
            service.send(
                session, runtime.policy, campaign_id, actor=Actor.staff(staff.id), clock=runtime.clock
            )
    except TillitError as exc:
        return _render(request, runtime, staff, error=exc.message)
    return RedirectResponse(f"{PATH}/{campaign_id}?notice=sent", status_code=303)


# --- JSON API ------------------------------------------------------------------------------------------


@api.get("/campaigns", summary="List campaigns")
def api_campaigns(runtime: deps.RuntimeDep, staff: MarketingStaff) -> list[CampaignRead]:
    with runtime.uow.read() as session:
        return service.list_campaigns(session)


@api.post("/campaigns", status_code=201, summary="Create a campaign")
def api_create(
    request: Request, runtime: deps.RuntimeDep, staff: MarketingStaff, body: CampaignCreate
) -> CampaignRead:
    """Needs the staff session's CSRF token in `X-CSRF-Token`."""
    deps.check_csrf(request, runtime, deps.STAFF_COOKIE, None)
    with runtime.uow.begin() as session:
        return service.create_campaign(
            session, runtime.policy, body, actor=Actor.staff(staff.id), clock=runtime.clock
        )


@api.get("/campaigns/{campaign_id}", summary="One campaign with its outbox counts")
def api_campaign(campaign_id: str, runtime: deps.RuntimeDep, staff: MarketingStaff) -> dict[str, Any]:
    with runtime.uow.read() as session:
        campaign = service.get_campaign(session, campaign_id)
        return {**campaign.model_dump(mode="json"), "outbox": service.outbox_counts(session, campaign_id)}


@api.post("/campaigns/{campaign_id}/dry-run", summary="Counts and exclusion reasons, sending nothing")
def api_dry_run(
    campaign_id: str, request: Request, runtime: deps.RuntimeDep, staff: MarketingStaff
) -> DryRun:
    deps.check_csrf(request, runtime, deps.STAFF_COOKIE, None)
    with runtime.uow.begin() as session:
        return service.dry_run(
            session, runtime.policy, campaign_id, actor=Actor.staff(staff.id), clock=runtime.clock
        )


@api.post("/campaigns/{campaign_id}/send", summary="Queue the campaign for its audience now")
def api_send(
    campaign_id: str, request: Request, runtime: deps.RuntimeDep, staff: MarketingStaff
) -> SendResult:
    deps.check_csrf(request, runtime, deps.STAFF_COOKIE, None)
    with runtime.uow.begin() as session:
        return service.send(
            session, runtime.policy, campaign_id, actor=Actor.staff(staff.id), clock=runtime.clock
        )
