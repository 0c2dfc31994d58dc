"""Customer login for the demo: pick one of the pack's fictional customers.

This is the seam for real identity. In a deployment an OIDC provider (BankID, MitID, Freja eID ...)
replaces `GET/POST /login`: after its callback, the code looks up the subject by the identity the
provider vouches for (`subjects_service.find_by_identifier`) and calls the same `_log_in`, so that the
customer session, the cookie and everything downstream (linked conversations, advisor chat for logged-in
customers, the privacy centre) stay as they are. The picker exists only with `TILLIT_DEMO_MODE=true`;
otherwise `/login` is 404, so a production deployment can never let someone choose who they are.
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tillit.auth import service as auth_service
from tillit.core.errors import NotFoundError, PermissionDeniedError
from tillit.packs.base import DemoSubject
from tillit.packs.demo import business_module
from tillit.policy.i18n import N_
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service
from tillit.web import router as pages
from tillit.web.deps import (
    CSRF_FIELD,
    CUSTOMER_COOKIE,
    RuntimeDep,
    check_csrf,
    clear_session_cookie,
    session_token,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)
LOGIN_NONCE_COOKIE = "tillit_login_nonce"
"""Before login there is no session to bind a CSRF token to, so the form carries a random nonce that must
match this cookie (double submit): another site cannot log a visitor in as someone else."""

LOGIN_LINK = pages.LandingLink("/login", N_("Log in as a demo customer"))
if LOGIN_LINK not in pages.LANDING_LINKS:
    pages.LANDING_LINKS.append(LOGIN_LINK)


@cache
def _demo_people(pack: str) -> tuple[DemoSubject, ...]:
    """The pack's fictional customers (the same deterministic data the demo loader stored)."""
    from datetime import UTC, datetime

    data = business_module(pack).generate(datetime(2026, 1, 1, tzinfo=UTC))
    return tuple(person for person in data.subjects if person.kind == "customer")


def _mask(value: str) -> str:
    """Enough to tell fictional people apart on a demo screen, not enough to read the identifier."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}•••@{domain}"
    return "•" * max(len(value) - 4, 3) + value[-4:]


def _demo_customers(runtime: Runtime) -> list[dict[str, str]]:
    """Demo customers that exist in this database: subject id, name, one masked identifier."""
    region = runtime.policy.organisation.country
    secret = runtime.settings.secret_key
    people: list[dict[str, str]] = []
    with runtime.uow.read() as session:
        for person in _demo_people(runtime.policy.pack)[:12]:
            kind = next(k for k in ("customer_number", "email", "phone") if k in person.identifiers)
            subject = subjects_service.find_by_identifier(
                session, kind, person.identifiers[kind], secret=secret, default_region=region
            )
            if subject is not None:
                people.append(
                    {"id": subject.id, "name": person.name, "identifier": _mask(person.identifiers[kind])}
                )
    return people


def _require_demo(runtime: Runtime) -> None:
    if not runtime.settings.demo_mode:
        raise NotFoundError("not found")


def _safe_next(target: str | None, lang: str) -> str:
    """Only a path on this site (no `//host` or scheme), so the login cannot redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"/chat?lang={lang}"


@router.get("/login", response_class=HTMLResponse)
def login_page(runtime: RuntimeDep, lang: pages.LangQuery = None, next: str | None = None) -> HTMLResponse:
    _require_demo(runtime)
    policy = runtime.policy
    chosen = pages._chosen_language(policy, lang)
    if chosen is None:
        return pages._unknown_language(policy, lang or "", "/login")
    nonce = secrets.token_urlsafe(24)
    response = pages._page(
        chosen,
        "customer_login.html.j2",
        policy=policy,
        languages=pages._languages(policy, chosen, "/login"),
        customers=_demo_customers(runtime),
        nonce=nonce,
        next=_safe_next(next, chosen),
    )
    response.set_cookie(
        LOGIN_NONCE_COOKIE, nonce, httponly=True, samesite="strict", path="/login", max_age=1800
    )
    return response


@router.post("/login")
def log_in(
    request: Request,
    runtime: RuntimeDep,
    subject_id: Annotated[str, Form()],
    nonce: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,
    lang: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Start a customer session for the chosen demo customer and go back to where the customer was."""
    _require_demo(runtime)
    expected = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, nonce):
        raise PermissionDeniedError(
            "the form has expired or did not come from this site; reload and try again"
        )
    if subject_id not in {c["id"] for c in _demo_customers(runtime)}:
        raise NotFoundError("no such demo customer")
    language = lang if lang in runtime.policy.languages else runtime.policy.organisation.default_language
    response = RedirectResponse(_safe_next(next, language), status_code=303)
    _log_in(response, request, runtime, subject_id)
    response.delete_cookie(LOGIN_NONCE_COOKIE, path="/login")
    return response


def _log_in(response: RedirectResponse, request: Request, runtime: Runtime, subject_id: str) -> None:
    """The one way a customer becomes logged in (the demo picker now, an OIDC callback later)."""
    with runtime.uow.begin() as session:
        token = auth_service.start_session(
            session, kind="customer", principal_id=subject_id, clock=runtime.clock
        )
    set_session_cookie(response, runtime, CUSTOMER_COOKIE, token, secure=request.url.scheme == "https")


@router.post("/logout")
def log_out(
    request: Request,
    runtime: RuntimeDep,
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
    lang: str | None = None,
) -> RedirectResponse:
    """End the customer session (server-side too, so the cookie is worthless afterwards)."""
    check_csrf(request, runtime, CUSTOMER_COOKIE, csrf_token)
    token = session_token(request, runtime, CUSTOMER_COOKIE)
    if token is not None:
        with runtime.uow.begin() as session:
            auth_service.end_session(session, token, runtime.clock)
    language = lang if lang in runtime.policy.languages else runtime.policy.organisation.default_language
    response = RedirectResponse(f"/chat?lang={language}", status_code=303)
    clear_session_cookie(response, CUSTOMER_COOKIE)
    return response
