"""The advisor console (`/console`): the queue, taking a conversation, the transcript, replying, tagging
complaint or advisory, closing, and logging a phone call or a letter as a conversation.

Thin: each route resolves the staff member, opens one transaction and calls `console_actions` /
`console_views`, which enforce who may open what (`console_access`) and read through purposes with an
audit row per read. Forms post with the session's CSRF token; the page's script (`/static/console.js`)
refreshes by polling the JSON API (`console_api`), and everything works without it too.

`router` also carries the login/logout routes and the JSON API; `main.create_app` includes it once.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tillit.auth import service as auth_service
from tillit.auth.schemas import Principal
from tillit.core.errors import (
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    TillitError,
    ValidationFailedError,
)
from tillit.main import runtime_of
from tillit.policy.i18n import N_
from tillit.runtime import Runtime
from tillit.web import console_actions as actions
from tillit.web.console_access import RESTRICTED_MESSAGE, ProcessingRestrictedError
from tillit.web.console_api import router as api_router
from tillit.web.console_auth import router as auth_router
from tillit.web.console_render import csrf_problem, forbidden_page, gettext, language, page, staff_or_redirect
from tillit.web.console_views import open_conversation
from tillit.web.router import LANDING_LINKS, LandingLink

router = APIRouter(include_in_schema=False)
router.include_router(auth_router)
router.include_router(api_router)
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
CsrfField = Annotated[str | None, Form(max_length=128)]

if all(link.path != "/console" for link in LANDING_LINKS):
    LANDING_LINKS.append(LandingLink("/console", N_("Advisor console")))

NOTICES: dict[str, str] = {
    "taken": N_("Another advisor has already taken this conversation."),
    "state": N_("That cannot be done in the conversation's current state."),
    "reply": N_("The reply was not sent: it is empty or too long."),
    "logged": N_("The conversation has been logged."),
}


def _console_staff(request: Request, runtime: Runtime) -> Principal | Response:
    """The logged-in staff member with console access, else the login redirect or a 403 page."""
    staff = staff_or_redirect(request, runtime)
    if isinstance(staff, Response):
        return staff
    if not auth_service.has_permission(staff, "console.open"):
        message = gettext(
            language(request, runtime), N_("Your role does not give access to the advisor console.")
        )
        return forbidden_page(request, runtime, staff, message)
    return staff


def _not_found(request: Request, runtime: Runtime, staff: Principal) -> HTMLResponse:
    message = gettext(
        language(request, runtime), N_("There is no such conversation, or it is not yours to open.")
    )
    return page(request, runtime, "console/message.html.j2", status_code=404, staff=staff, message=message)


def _back(conversation_id: str, notice: str | None = None) -> RedirectResponse:
    url = f"/console/conversations/{quote(conversation_id, safe='')}"
    return RedirectResponse(url + (f"?notice={notice}" if notice else ""), status_code=303)


@router.get("/console", response_class=HTMLResponse)
def console_home(request: Request, runtime: RuntimeDep) -> Response:
    """The queue and the advisor's conversations (all advisors' for a supervisor)."""
    staff = _console_staff(request, runtime)
    if isinstance(staff, Response):
        return staff
    with runtime.uow.read() as session:
        queue = actions.queue(session)
        conversations = actions.my_conversations(session, runtime, staff)
    now = runtime.clock.now()
    entries = [{"entry": e, "waiting": now - e.queued_at} for e in queue]
    return page(
        request,
        runtime,
        "console/index.html.j2",
        staff=staff,
        queue=entries,
        conversations=conversations,
        sees_all=auth_service.has_permission(staff, "conversation.read_all"),
        notice=_notice(request),
    )


def _notice(request: Request) -> str | None:
    code = request.query_params.get("notice")
    return NOTICES.get(code) if code else None


@router.get("/console/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation_page(conversation_id: str, request: Request, runtime: RuntimeDep) -> Response:
    """One conversation: what the reading purpose allows, each read audited."""
    staff = _console_staff(request, runtime)
    if isinstance(staff, Response):
        return staff
    try:
        with runtime.uow.begin() as session:
            view = open_conversation(session, runtime, staff, conversation_id)
    except NotFoundError:
        return _not_found(request, runtime, staff)
    except ProcessingRestrictedError:
        return forbidden_page(
            request, runtime, staff, gettext(language(request, runtime), N_(RESTRICTED_MESSAGE))
        )
    return page(
        request,
        runtime,
        "console/conversation.html.j2",
        staff=staff,
        view=view,
        notice=_notice(request),
        max_chars=4000,
    )


def _act(
    request: Request,
    runtime: Runtime,
    conversation_id: str,
    csrf_token: str | None,
    action: str,
    *,
    text: str = "",
    complaint: bool | None = None,
    advisory: bool | None = None,
) -> Response:
    """Run one form action: CSRF first (403, nothing changes), then the action in one transaction."""
    staff = _console_staff(request, runtime)
    if isinstance(staff, Response):
        return staff
    problem = csrf_problem(request, runtime, csrf_token)
    if problem is not None:
        return forbidden_page(request, runtime, staff, problem)
    try:
        with runtime.uow.begin() as session:
            if action == "take":
                actions.take(session, runtime, staff, conversation_id)
            elif action == "reply":
                actions.reply(session, runtime, staff, conversation_id, text)
            elif action == "tags":
                actions.tag(session, runtime, staff, conversation_id, complaint=complaint, advisory=advisory)
            else:
                actions.close(session, runtime, staff, conversation_id)
    except NotFoundError:
        return _not_found(request, runtime, staff)
    except ProcessingRestrictedError:
        return forbidden_page(
            request, runtime, staff, gettext(language(request, runtime), N_(RESTRICTED_MESSAGE))
        )
    except PermissionDeniedError:
        message = gettext(
            language(request, runtime), N_("Only the advisor who has taken the conversation can do this.")
        )
        return forbidden_page(request, runtime, staff, message)
    except ConflictError:
        if action == "take":
            return RedirectResponse("/console?notice=taken", status_code=303)
        return _back(conversation_id, "state")
    except (ValidationFailedError, PayloadTooLargeError):
        return _back(conversation_id, "reply")
    return _back(conversation_id)


@router.post("/console/conversations/{conversation_id}/take")
def take_form(
    conversation_id: str, request: Request, runtime: RuntimeDep, csrf_token: CsrfField = None
) -> Response:
    return _act(request, runtime, conversation_id, csrf_token, "take")


@router.post("/console/conversations/{conversation_id}/reply")
def reply_form(
    conversation_id: str,
    request: Request,
    runtime: RuntimeDep,
    csrf_token: CsrfField = None,
    text: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    return _act(request, runtime, conversation_id, csrf_token, "reply", text=text)


@router.post("/console/conversations/{conversation_id}/tags")
def tags_form(
    conversation_id: str,
    request: Request,
    runtime: RuntimeDep,
    csrf_token: CsrfField = None,
    complaint: Annotated[str | None, Form()] = None,
    advisory: Annotated[str | None, Form()] = None,
) -> Response:
    """Checkboxes: an unticked box is absent from the form, so absent means false here."""
    return _act(
        request,
        runtime,
        conversation_id,
        csrf_token,
        "tags",
        complaint=complaint is not None,
        advisory=advisory is not None,
    )


@router.post("/console/conversations/{conversation_id}/close")
def close_form(
    conversation_id: str, request: Request, runtime: RuntimeDep, csrf_token: CsrfField = None
) -> Response:
    return _act(request, runtime, conversation_id, csrf_token, "close")


@router.get("/console/log", response_class=HTMLResponse)
def log_form(request: Request, runtime: RuntimeDep) -> Response:
    """The form to log a phone call or a letter as a conversation."""
    staff = _console_staff(request, runtime)
    if isinstance(staff, Response):
        return staff
    return page(
        request,
        runtime,
        "console/log.html.j2",
        staff=staff,
        error=None,
        values={},
        channels=actions.LOGGED_CHANNELS,
    )


@router.post("/console/log", response_class=HTMLResponse)
def log_submit(
    request: Request,
    runtime: RuntimeDep,
    csrf_token: CsrfField = None,
    channel: Annotated[str, Form(max_length=16)] = "phone",
    identifier: Annotated[str, Form(max_length=254)] = "",
    summary: Annotated[str, Form(max_length=8000)] = "",
    complaint: Annotated[str | None, Form()] = None,
) -> Response:
    staff = _console_staff(request, runtime)
    if isinstance(staff, Response):
        return staff
    problem = csrf_problem(request, runtime, csrf_token)
    if problem is not None:
        return forbidden_page(request, runtime, staff, problem)
    try:
        with runtime.uow.begin() as session:
            logged = actions.log_contact(
                session,
                runtime,
                staff,
                channel=channel,
                identifier=identifier,
                summary=summary,
                complaint=complaint is not None,
            )
    except PermissionDeniedError:
        message = gettext(language(request, runtime), N_("Your role does not allow logging conversations."))
        return forbidden_page(request, runtime, staff, message)
    except TillitError as exc:
        lang = language(request, runtime)
        field = exc.details.get("field") if isinstance(exc, ValidationFailedError) else None
        error = gettext(
            lang,
            N_("No customer has this customer number or e-mail address.")
            if field == "identifier"
            else N_(
                "Write a summary of the call or letter (at most 4000 characters) and choose its channel."
            ),
        )
        values = {
            "channel": channel,
            "identifier": identifier,
            "summary": summary,
            "complaint": complaint is not None,
        }
        return page(
            request,
            runtime,
            "console/log.html.j2",
            status_code=422,
            staff=staff,
            error=error,
            values=values,
            channels=actions.LOGGED_CHANNELS,
        )
    return _back(logged.id, "logged")
