"""The public rights request form, for anyone, with a one-time code by e-mail.

`/rights/request`: the request form plus an e-mail address. The request is filed, a one-time code is
mailed (SMTP, `tillit.core.mail`) and the request waits in `verifying` with its clock paused until the
code is typed at `/rights/verify/{id}` (see `rights.verification`). A logged-in customer files in the
privacy centre instead (`web.rights_centre`), where the person is known and the clock runs at once.

Before any session exists the forms carry a *pre-session* CSRF token, as the staff login does: a random
nonce in a signed, HttpOnly, SameSite=Strict cookie scoped to `/rights`, and an HMAC of it in the form.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import URLSafeSerializer
from pydantic import ValidationError

from tillit.auth import service as auth_service
from tillit.core.errors import TillitError
from tillit.core.ids import new_token
from tillit.core.mail import MailError
from tillit.policy.i18n import N_, Wording
from tillit.rights import notices, verification
from tillit.rights import service as rights_service
from tillit.rights.schemas import RequestCreate
from tillit.runtime import Runtime
from tillit.web import router as pages
from tillit.web.deps import RuntimeDep, signed_cookie
from tillit.web.rights_form import details_from_form, form_context, mailer, problem

router = APIRouter(include_in_schema=False)
PUBLIC = "/rights/request"
FORM_COOKIE = "tillit_rights_csrf"

RIGHTS_LINK = pages.LandingLink(PUBLIC, N_("Your rights"))
if RIGHTS_LINK not in pages.LANDING_LINKS:
    pages.LANDING_LINKS.append(RIGHTS_LINK)


def _serializer(runtime: Runtime) -> URLSafeSerializer:
    return URLSafeSerializer(runtime.settings.secret_key, salt="tillit-rights-form-csrf")


def _nonce(request: Request, runtime: Runtime) -> str | None:
    return signed_cookie(request, _serializer(runtime), FORM_COOKIE)


def _form_token(runtime: Runtime, nonce: str) -> str:
    return auth_service.csrf_token(runtime.settings.secret_key, "rights-form:" + nonce)


def _pre_session_ok(request: Request, runtime: Runtime, presented: str) -> bool:
    nonce = _nonce(request, runtime)
    origin = request.headers.get("origin")
    same_origin = origin is None or origin.rstrip("/") == f"{request.url.scheme}://{request.url.netloc}"
    return (
        nonce is not None
        and same_origin
        and auth_service.csrf_valid(runtime.settings.secret_key, "rights-form:" + nonce, presented)
    )


def _public_page(
    request: Request, runtime: Runtime, lang: str, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A public page whose forms carry the pre-session CSRF token (cookie set or renewed here)."""
    nonce = _nonce(request, runtime) or new_token(24)
    policy = runtime.policy
    response = pages._page(
        lang,
        template,
        status_code=status_code,
        policy=policy,
        languages=pages._languages(policy, lang, request.url.path),
        csrf_token=_form_token(runtime, nonce),
        **context,
    )
    response.set_cookie(
        FORM_COOKIE,
        _serializer(runtime).dumps(nonce),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/rights",
        max_age=3600,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(PUBLIC, response_class=HTMLResponse)
def public_form(request: Request, runtime: RuntimeDep, lang: pages.LangQuery = None) -> Response:
    chosen = pages._chosen_language(runtime.policy, lang)
    if chosen is None:
        return pages._unknown_language(runtime.policy, lang or "", PUBLIC)
    return _public_page(
        request, runtime, chosen, "rights_public.html.j2", error=None, **form_context(runtime.policy, chosen)
    )


@router.post(PUBLIC)
def public_file(
    request: Request,
    runtime: RuntimeDep,
    type: Annotated[str, Form(max_length=32)],
    email: Annotated[str, Form(max_length=254)],
    kind: Annotated[str, Form(max_length=32)] = "",
    value: Annotated[str, Form(max_length=500)] = "",
    purposes: Annotated[list[str] | None, Form()] = None,
    lang: Annotated[str, Form(max_length=8)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """File the request, mail a code, and pause the clock until the code comes back (one transaction:
    if the mail cannot be sent, nothing is kept and the person is told to try again)."""
    policy = runtime.policy
    language = lang if lang in policy.languages else policy.organisation.default_language
    words = Wording(language)

    def again(message: str, status_code: int) -> HTMLResponse:
        return _public_page(
            request,
            runtime,
            language,
            "rights_public.html.j2",
            status_code=status_code,
            error=message,
            **form_context(policy, language),
        )

    if not _pre_session_ok(request, runtime, csrf_token):
        return again(
            words._(
                N_("The form has expired or did not come from this site. Reload the page and try again.")
            ),
            403,
        )
    address = email.strip()
    if "@" not in address or address.startswith("@") or address.endswith("@") or " " in address:
        return again(words._(N_("Give a valid e-mail address.")), 422)
    try:
        data = RequestCreate(
            type=type,
            channel="web_form",
            language=language,
            requester_email=address,
            details=details_from_form(type, kind, value, purposes or []),
        )
        with runtime.uow.begin() as session:
            filed = rights_service.file_request(
                session,
                policy,
                data,
                clock=runtime.clock,
                actor="web_form",
                secret=runtime.settings.secret_key,
            )
            started = verification.start(
                session,
                filed.id,
                address,
                language=language,
                clock=runtime.clock,
                secret=runtime.settings.secret_key,
            )
            mailer(runtime).send(notices.code_mail(policy, language, address, started.code))
    except verification.TooManyCodesError:
        return again(words._(N_("Too many codes were sent to this address. Try again in an hour.")), 429)
    except MailError:
        return again(words._(N_("We could not send the e-mail just now. Please try again later.")), 503)
    except (ValidationError, TillitError) as exc:
        return again(problem(language, exc), 422)
    return RedirectResponse(f"/rights/verify/{started.verification_id}?lang={language}", status_code=303)


@router.get("/rights/verify/{verification_id}", response_class=HTMLResponse)
def verify_form(
    verification_id: str, request: Request, runtime: RuntimeDep, lang: pages.LangQuery = None
) -> Response:
    chosen = pages._chosen_language(runtime.policy, lang) or runtime.policy.organisation.default_language
    return _public_page(
        request,
        runtime,
        chosen,
        "rights_verify.html.j2",
        verification_id=verification_id,
        outcome=None,
        attempts_left=verification.MAX_ATTEMPTS,
    )


@router.post("/rights/verify/{verification_id}", response_class=HTMLResponse)
def verify(
    verification_id: str,
    request: Request,
    runtime: RuntimeDep,
    code: Annotated[str, Form(max_length=20)] = "",
    lang: Annotated[str, Form(max_length=8)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Check the code: confirmed (clock resumes), wrong (attempts left), expired or locked."""
    policy = runtime.policy
    language = lang if lang in policy.languages else policy.organisation.default_language
    if not _pre_session_ok(request, runtime, csrf_token):
        return _public_page(
            request,
            runtime,
            language,
            "rights_verify.html.j2",
            status_code=403,
            verification_id=verification_id,
            outcome="csrf",
            attempts_left=0,
        )
    with runtime.uow.begin() as session:
        result = verification.confirm(
            session, policy, verification_id, code, clock=runtime.clock, secret=runtime.settings.secret_key
        )
    status_code = {"wrong": 422, "expired": 410, "locked": 429}.get(result.outcome, 200)
    return _public_page(
        request,
        runtime,
        language,
        "rights_verify.html.j2",
        status_code=status_code,
        verification_id=verification_id,
        outcome=result.outcome,
        attempts_left=result.attempts_left,
    )
