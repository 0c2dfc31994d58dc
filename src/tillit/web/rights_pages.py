"""Filing rights requests: the privacy centre's "Your rights" page and the public form with an e-mail code.

`/privacy-centre/rights` (logged-in customer): file any request type, see one's own requests with their
deadlines, download the access or portability package once completed. The person is known, so the
request is filed for their subject and its clock runs at once.

`/rights/request` (anyone): the same form plus an e-mail address. The request is filed, a one-time code
is mailed (SMTP, `tillit.core.mail`) and the request waits in `verifying` with its clock paused until the
code is typed at `/rights/verify/{id}` (see `rights.verification`). Before any session exists the forms
carry a *pre-session* CSRF token, as the staff login does: a random nonce in a signed, HttpOnly,
SameSite=Strict cookie scoped to `/rights`, and an HMAC of it in the form.

Stable element ids (tests rely on them): `#rights-form`, `#request-type`, `#rights-filed`, the list
`#my-requests` with rows `#request-<id>` (`data-status`), and `#package-<id>` download links.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import ValidationError

from tillit.auth import service as auth_service
from tillit.core.errors import NotFoundError, TillitError
from tillit.core.ids import new_token
from tillit.core.mail import MailError, SmtpMailer
from tillit.policy.i18n import N_, Wording
from tillit.policy.schema import Policy
from tillit.rights import notices, verification
from tillit.rights import service as rights_service
from tillit.rights.change import objectable
from tillit.rights.schemas import REQUEST_TYPES, RequestCreate, RequestRead
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

router = APIRouter(include_in_schema=False)
CENTRE = "/privacy-centre/rights"
PUBLIC = "/rights/request"
FORM_COOKIE = "tillit_rights_csrf"
RECTIFY_KINDS = (
    ("email", N_("E-mail address")),
    ("phone", N_("Phone number")),
    ("name", N_("Name")),
    ("address", N_("Postal address")),
    ("customer_number", N_("Customer number")),
    ("national_id", N_("National ID number")),
)
PACKAGES = frozenset({"access", "portability"})

RIGHTS_LINK = pages.LandingLink(PUBLIC, N_("Your rights"))
if RIGHTS_LINK not in pages.LANDING_LINKS:
    pages.LANDING_LINKS.append(RIGHTS_LINK)


def mailer(runtime: Runtime) -> SmtpMailer:
    s = runtime.settings
    return SmtpMailer(
        s.smtp_host,
        s.smtp_port,
        s.mail_from,
        username=s.smtp_username,
        password=s.smtp_password,
        starttls=s.smtp_starttls,
    )


def purposes_for(policy: Policy, lang: str) -> dict[str, list[dict[str, str]]]:
    """Purposes one may object to, and those resting on consent (to withdraw), named in `lang`."""

    def name(texts: dict[str, str]) -> str:
        return texts.get(lang) or next(iter(texts.values()), "")

    return {
        "objection": [{"id": p.id, "name": name(p.name)} for p in policy.purposes if objectable(p)],
        "withdrawal": [
            {"id": p.id, "name": name(p.name)} for p in policy.purposes if p.legal_basis == "consent"
        ],
    }


def details_from_form(type_: str, kind: str, value: str, purposes: list[str]) -> dict[str, Any]:
    """The `details` a request type takes, from the one form that offers every type."""
    if type_ == "rectification":
        return {"kind": kind, "value": value.strip()}
    if type_ in ("objection", "withdrawal"):
        return {"purposes": purposes}
    return {}


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


def _form_context(policy: Policy, lang: str) -> dict[str, Any]:
    return {
        "types": [(t, notices.TYPE_NAMES[t]) for t in REQUEST_TYPES],
        "kinds": RECTIFY_KINDS,
        "purposes": purposes_for(policy, lang),
    }


# --- the privacy centre ---------------------------------------------------------------------------------


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
        **_form_context(policy, lang),
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
        return _centre_page(request, runtime, language, mine, error=_problem(language, exc), status_code=422)
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


def _problem(lang: str, exc: Exception) -> str:
    words = Wording(lang)
    if isinstance(exc, ValidationError):
        return words._("Check the form: %(problem)s", problem=exc.errors()[0]["msg"])
    return words._("Check the form: %(problem)s", problem=getattr(exc, "message", str(exc)))


# --- the public form with e-mail verification -----------------------------------------------------------


def _serializer(runtime: Runtime) -> URLSafeSerializer:
    return URLSafeSerializer(runtime.settings.secret_key, salt="tillit-rights-form-csrf")


def _nonce(request: Request, runtime: Runtime) -> str | None:
    raw = request.cookies.get(FORM_COOKIE)
    if not raw:
        return None
    try:
        value = _serializer(runtime).loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


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
        request, runtime, chosen, "rights_public.html.j2", error=None, **_form_context(runtime.policy, chosen)
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
            **_form_context(policy, language),
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
        return again(_problem(language, exc), 422)
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
