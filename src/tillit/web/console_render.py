"""Shared plumbing of the staff pages: templates, the staff UI language, who is logged in, CSRF for forms.

Staff pages speak the pack's default language unless the staff member picks another with the switcher
(`?lang=`), which is remembered in a cookie so form posts and redirects keep it. Every text goes through
the gettext catalogues (English message ids), like the customer pages.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tillit.auth import service as auth_service
from tillit.auth.schemas import Principal
from tillit.core.errors import NotAuthenticatedError, PermissionDeniedError
from tillit.policy import render
from tillit.policy.i18n import CATALOGUE_LANGUAGES, N_
from tillit.runtime import Runtime
from tillit.web import deps
from tillit.web.router import TEMPLATES_DIR

LANG_COOKIE = "tillit_console_lang"
LOGIN_PATH = "/console/login"


@cache
def environment(lang: str) -> Environment:
    """One Jinja2 environment per language with its catalogue; every HTML template autoescaped."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(render.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def gettext(lang: str, message: str) -> str:
    return render.translations(lang).gettext(message)


def staff_languages(runtime: Runtime) -> list[str]:
    """The pack's languages that have a catalogue, and English for staff who read none of them."""
    codes = [code for code in runtime.policy.languages if code in CATALOGUE_LANGUAGES]
    return codes if "en" in codes else [*codes, "en"]


def language(request: Request, runtime: Runtime) -> str:
    """`?lang=` if offered, else the remembered choice, else the pack's default language."""
    offered = staff_languages(runtime)
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate and candidate.strip().lower() in offered:
            return candidate.strip().lower()
    default = runtime.policy.organisation.default_language
    return default if default in offered else "en"


def page(
    request: Request, runtime: Runtime, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a console page in the staff member's language, with the switcher and the CSRF token."""
    lang = language(request, runtime)
    languages = [
        {
            "code": code,
            "name": render.language_name(code),
            "href": f"{request.url.path}?lang={code}",
            "current": code == lang,
        }
        for code in staff_languages(runtime)
    ]
    context.setdefault("csrf", deps.csrf_token_for(request, runtime, deps.STAFF_COOKIE))
    context.setdefault("staff", None)
    context.setdefault("notice", None)
    html = (
        environment(lang)
        .get_template(template)
        .render(lang=lang, languages=languages, policy=runtime.policy, **context)
    )
    response = HTMLResponse(html, status_code=status_code, headers={"Content-Language": lang})
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    chosen = request.query_params.get("lang")
    if chosen and chosen.strip().lower() == lang:
        response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="lax", path="/", max_age=365 * 86400)
    return response


def login_redirect(request: Request, reason: str | None = None) -> RedirectResponse:
    """Back to the login page, remembering where the staff member was going (a console path only)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = f"{LOGIN_PATH}?next={quote(target, safe='')}"
    if reason:
        url += f"&reason={reason}"
    response = RedirectResponse(url, status_code=303)
    if reason == "expired":
        deps.clear_session_cookie(response, deps.STAFF_COOKIE)
    return response


def staff_or_redirect(request: Request, runtime: Runtime) -> Principal | RedirectResponse:
    """The logged-in staff member, or a redirect to the login page: with "expired" when a genuine
    (correctly signed) session cookie no longer opens a session, so the page can say why."""
    token = deps.session_token(request, runtime, deps.STAFF_COOKIE)
    if token is None:
        return login_redirect(request)
    try:
        with runtime.uow.read() as session:
            principal = auth_service.resolve_session(session, token, runtime.clock)
    except NotAuthenticatedError:
        return login_redirect(request, "expired")
    if principal.kind != "staff":
        return login_redirect(request)
    return principal


def forbidden_page(request: Request, runtime: Runtime, staff: Principal | None, message: str) -> HTMLResponse:
    return page(request, runtime, "console/message.html.j2", status_code=403, staff=staff, message=message)


def csrf_problem(request: Request, runtime: Runtime, presented: str | None) -> str | None:
    """None when the form's CSRF token matches the staff session, else the message to show (403)."""
    try:
        deps.check_csrf(request, runtime, deps.STAFF_COOKIE, presented)
    except PermissionDeniedError:
        return gettext(
            language(request, runtime),
            N_("The form has expired or did not come from this site. Reload the page and try again."),
        )
    return None
