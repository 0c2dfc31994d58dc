"""Staff login and logout for the consoles.

CSRF on the login form itself (before any session exists) uses a *pre-session token*: GET /console/login
sets a random nonce in a signed, HttpOnly, SameSite=Strict cookie scoped to /console/login and puts an
HMAC of it in the form. POST accepts the form only when the cookie's signature is valid and the field
matches it, so another site can neither post a login in the staff member's browser (login CSRF: logging
them in as the attacker) nor forge the cookie without the deployment secret. As defence in depth a
present `Origin` header must name this site. After login the session's own CSRF token (an HMAC of the
session token, `auth.service.csrf_token`) protects every form and JSON write, logout included.

Wrong credentials get one message whether the account exists or not, and `auth.service.authenticate` does
the same password-hash work in both cases, so neither the text nor the timing enumerates accounts.

Password guessing is throttled (`auth.service.log_in`, `auth.throttle`): too many failures for one
username, or from one client address, and the form answers 429 with `Retry-After` and one message for
every case (existing account or not, username or client locked), even when the password is right.
The client address is the one uvicorn reports: behind a reverse proxy, let uvicorn trust the proxy's
`X-Forwarded-For` (`FORWARDED_ALLOW_IPS`), or every staff member shares the proxy's budget.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import URLSafeSerializer

from tillit.auth import service as auth_service
from tillit.auth.errors import LoginThrottledError
from tillit.core.errors import NotAuthenticatedError
from tillit.core.ids import new_token
from tillit.main import runtime_of
from tillit.policy import render
from tillit.policy.i18n import N_
from tillit.runtime import Runtime
from tillit.web import deps
from tillit.web.console_render import LOGIN_PATH, csrf_problem, gettext, language, page

router = APIRouter(include_in_schema=False)
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
LOGIN_COOKIE = "tillit_login_csrf"
LOGIN_COOKIE_MAX_AGE = 3600
REASONS = {
    "expired": N_("Your session has ended. Please log in again."),
    "logged_out": N_("You have logged out."),
}
"""Why the login page is shown (`?reason=`); message ids, translated by the page layout."""


def _serializer(runtime: Runtime) -> URLSafeSerializer:
    return URLSafeSerializer(runtime.settings.secret_key, salt="tillit-login-csrf")


def _form_token(runtime: Runtime, nonce: str) -> str:
    return auth_service.csrf_token(runtime.settings.secret_key, "login:" + nonce)


def _nonce(request: Request, runtime: Runtime) -> str | None:
    return deps.signed_cookie(request, _serializer(runtime), LOGIN_COOKIE)


def throttled_message(lang: str, retry_after_s: int) -> str:
    """The same words whether the username or the client is locked, and whether the account exists."""
    minutes = max(1, math.ceil(retry_after_s / 60))
    text = render.translations(lang).ngettext(
        "Too many failed login attempts. Try again in %(num)s minute.",
        "Too many failed login attempts. Try again in %(num)s minutes.",
        minutes,
    )
    return text % {"num": minutes}


def safe_next(target: str | None) -> str:
    """Only a path inside the console: never another site, never a protocol-relative `//host`."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


ROLE_HOMES: tuple[tuple[str, str], ...] = (
    ("advisor", "/console"),
    ("supervisor", "/console"),
    ("dpo", "/console/rights"),
    ("security_officer", "/console/disclosure"),
    ("marketing", "/console/marketing"),
)


def home_for(roles: list[str], target: str) -> str:
    """Where a login lands: the page asked for, unless it is the advisors' queue and the role has none."""
    if target != "/console" or "advisor" in roles or "supervisor" in roles:
        return target
    return next((home for role, home in ROLE_HOMES if role in roles), target)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.rstrip("/") == f"{request.url.scheme}://{request.url.netloc}"


def _login_page(
    request: Request, runtime: Runtime, *, next_path: str, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    nonce = _nonce(request, runtime) or new_token(24)
    reason = request.query_params.get("reason")
    notice = REASONS[reason] if reason in REASONS and error is None else None
    response = page(
        request,
        runtime,
        "console/login.html.j2",
        status_code=status_code,
        login_csrf=_form_token(runtime, nonce),
        next_path=next_path,
        error=error,
        notice=notice,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        _serializer(runtime).dumps(nonce),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=LOGIN_PATH,
        max_age=LOGIN_COOKIE_MAX_AGE,
    )
    return response


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_form(request: Request, runtime: RuntimeDep) -> Response:
    """The login form; a staff member already logged in goes straight on."""
    next_path = safe_next(request.query_params.get("next"))
    if deps.optional_staff(request, runtime) is not None:
        return RedirectResponse(next_path, status_code=303)
    return _login_page(request, runtime, next_path=next_path)


@router.post(LOGIN_PATH, response_class=HTMLResponse)
def login(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/console",
) -> Response:
    """Check the pre-session CSRF token, then the credentials; start a fresh session (never reuse one)."""
    lang = language(request, runtime)
    target = safe_next(next_path)
    nonce = _nonce(request, runtime)
    if (
        nonce is None
        or not _same_origin(request)
        or not auth_service.csrf_valid(runtime.settings.secret_key, "login:" + nonce, csrf_token)
    ):
        message = gettext(
            lang, N_("The form has expired or did not come from this site. Reload the page and try again.")
        )
        return _login_page(request, runtime, next_path=target, error=message, status_code=403)
    try:
        login = auth_service.log_in(
            runtime.uow,
            username.strip(),
            password,
            client_host=request.client.host if request.client else None,
            secret=runtime.settings.secret_key,
            limits=auth_service.login_limits(runtime.settings),
            clock=runtime.clock,
        )
    except LoginThrottledError as exc:
        refused = _login_page(
            request,
            runtime,
            next_path=target,
            error=throttled_message(lang, exc.retry_after_s),
            status_code=429,
        )
        refused.headers["Retry-After"] = str(exc.retry_after_s)
        return refused
    except NotAuthenticatedError:
        message = gettext(lang, N_("Wrong username or password."))
        return _login_page(request, runtime, next_path=target, error=message, status_code=401)
    response = RedirectResponse(home_for(login.staff.roles, target), status_code=303)
    deps.set_session_cookie(
        response, runtime, deps.STAFF_COOKIE, login.session_token, secure=request.url.scheme == "https"
    )
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/console/logout")
def logout(
    request: Request, runtime: RuntimeDep, csrf_token: Annotated[str | None, Form(max_length=128)] = None
) -> Response:
    """End the session server-side (the cookie alone would still be valid until it expired)."""
    token = deps.session_token(request, runtime, deps.STAFF_COOKIE)
    if token is None:
        return RedirectResponse(LOGIN_PATH, status_code=303)
    problem = csrf_problem(request, runtime, csrf_token)
    if problem is not None:
        return page(request, runtime, "console/message.html.j2", status_code=403, message=problem)
    with runtime.uow.begin() as session:
        auth_service.end_session(session, token, runtime.clock)
    response = RedirectResponse(f"{LOGIN_PATH}?reason=logged_out", status_code=303)
    deps.clear_session_cookie(response, deps.STAFF_COOKIE)
    return response
