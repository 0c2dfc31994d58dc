"""Cookie consent (saas pack): the embeddable banner, the visitor's settings page, their events.

A company's website includes `<script src="https://<tillit>/static/tillit-cookies.js" data-lang="nb">`.
The script shows `/cookies/banner` in an iframe at the bottom of the page and listens for its
`postMessage({type: "tillit-cookies", chosen, choice})`, so the site loads analytics, advertising or the
support chat only for categories the visitor accepted. The banner is a plain HTML form: it works without
JavaScript, and "Reject all" is exactly as prominent as "Accept all" (same element, same class, same
size, side by side; the e2e test checks the markup).

Every choice is recorded in the consent ledger as one event per optional category (purpose: the
policy's cookie purpose, channel `web`, scope: the category), keyed by a random visitor id in the
`tillit_visitor` cookie. `/cookies` shows the visitor their choice and history and lets them change it.

Stable element ids (browser tests rely on them): `#tc-banner`, buttons `#tc-accept-all`,
`#tc-reject-all`, `#tc-save`; checkboxes `#tc-cat-<category>` (`necessary` is disabled and checked);
on `/cookies`: `#cookie-settings`, `#cookie-state-<category>` with `data-state="granted|withdrawn|none"`,
`#cookie-history`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tillit.auth import service as auth_service
from tillit.consent import service as consent_service
from tillit.consent.schemas import ConsentEventCreate, CookieCategory
from tillit.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from tillit.core.ids import new_token
from tillit.policy.i18n import N_, Wording
from tillit.policy.schema import Policy
from tillit.runtime import Runtime
from tillit.web import router as pages
from tillit.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
VISITOR_COOKIE = "tillit_visitor"
VISITOR_COOKIE_MAX_AGE = 365 * 24 * 3600
"""A year: long enough not to ask again on every visit, short enough to ask again each year."""
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

CATEGORY_TEXT: dict[str, tuple[str, str]] = {
    "necessary": (
        N_("Necessary"),
        N_("Needed for the website to work, for example to remember this choice. Always on."),
    ),
    "analytics": (
        N_("Analytics"),
        N_("Counts visits and shows how the website is used, so we can improve it."),
    ),
    "advertising": (
        N_("Advertising"),
        N_("Measures our adverts and shows you relevant adverts on other websites."),
    ),
    "support_chat": (
        N_("Support chat"),
        N_("Lets you chat with our support from the website."),
    ),
}

COOKIE_LINK = pages.LandingLink("/cookies", N_("Cookie settings"))
if COOKIE_LINK not in pages.LANDING_LINKS:
    pages.LANDING_LINKS.append(COOKIE_LINK)


def visitor_id(request: Request) -> str | None:
    """The visitor id from the cookie, or None when absent or not one tillit could have issued."""
    value = request.cookies.get(VISITOR_COOKIE)
    return value if value and _VISITOR_ID.match(value) else None


def _csrf(runtime: Runtime, visitor: str) -> str:
    """The banner form's token: an HMAC of the visitor id (there is no login session to bind it to)."""
    return auth_service.csrf_token(runtime.settings.secret_key, f"visitor:{visitor}")


def _categories(policy: Policy) -> list[CookieCategory]:
    categories = consent_service.cookie_categories(policy)
    if not categories:
        raise NotFoundError("this organisation's policy asks no cookie consent")
    return categories


def _notice_text(policy: Policy, lang: str, categories: list[CookieCategory]) -> str:
    """The text the banner shows, as recorded with each event: the purpose, then each category."""
    wording = Wording(lang)
    purpose = policy.purpose(next(c.purpose for c in categories if c.purpose is not None))
    lines = [purpose.name.get(lang, ""), "", purpose.description.get(lang, "")]
    for category in categories:
        label, text = CATEGORY_TEXT[category.id]
        lines.append(f"- {wording._(label)}: {wording._(text)}")
    return "\n".join(lines)


def _view(runtime: Runtime, request: Request, lang: str, visitor: str) -> dict[str, Any]:
    policy = runtime.policy
    categories = _categories(policy)
    with runtime.uow.read() as session:
        choice = consent_service.cookie_choice(session, policy, visitor)
        history = consent_service.history(session, visitor_id=visitor, limit=50)
    wording = Wording(lang)
    purpose = policy.purpose(next(c.purpose for c in categories if c.purpose is not None))
    return {
        "policy": policy,
        "purpose_name": purpose.name.get(lang, ""),
        "purpose_description": purpose.description.get(lang, ""),
        "categories": [
            {
                "id": c.id,
                "label": CATEGORY_TEXT[c.id][0],
                "text": CATEGORY_TEXT[c.id][1],
                "required": c.purpose is None,
                "vendors": [r.name for r in policy.recipients if r.id in c.recipients],
                "state": "granted"
                if c.purpose is None or (choice or {}).get(c.id)
                else ("withdrawn" if choice is not None else "none"),
            }
            for c in categories
        ],
        "chosen": choice is not None,
        "choice": choice or {},
        "history": [
            {
                "id": e.id,
                "when": wording.date(e.occurred_at.date()),
                "at": e.occurred_at.isoformat(),
                "category": CATEGORY_TEXT.get(e.scope or "", (e.scope or "", ""))[0],
                "action": e.action,
            }
            for e in history
        ],
        "csrf_token": _csrf(runtime, visitor),
        "saved": request.query_params.get("saved") == "1",
    }


def _with_visitor(request: Request, response: Response, visitor: str) -> Response:
    if request.cookies.get(VISITOR_COOKIE) != visitor:
        response.set_cookie(
            VISITOR_COOKIE,
            visitor,
            max_age=VISITOR_COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


@router.get("/cookies/banner", response_class=HTMLResponse)
def cookie_banner(request: Request, runtime: RuntimeDep, lang: pages.LangQuery = None) -> Response:
    """The banner, for an iframe (or a visit of its own): categories, accept all, reject all, save."""
    policy = runtime.policy
    chosen = pages._chosen_language(policy, lang) or policy.organisation.default_language
    visitor = visitor_id(request) or new_token(24)
    response = pages._page(chosen, "cookie_banner.html.j2", **_view(runtime, request, chosen, visitor))
    return _with_visitor(request, response, visitor)


@router.get("/cookies", response_class=HTMLResponse)
def cookie_settings(request: Request, runtime: RuntimeDep, lang: pages.LangQuery = None) -> Response:
    """The visitor's current choice and history, with the same form to change it."""
    policy = runtime.policy
    chosen = pages._chosen_language(policy, lang)
    if chosen is None:
        return pages._unknown_language(policy, lang or "", "/cookies")
    visitor = visitor_id(request) or new_token(24)
    response = pages._page(
        chosen,
        "cookies.html.j2",
        languages=pages._languages(policy, chosen, "/cookies"),
        **_view(runtime, request, chosen, visitor),
    )
    return _with_visitor(request, response, visitor)


@router.get("/cookies/demo", response_class=HTMLResponse)
def cookie_demo(runtime: RuntimeDep, lang: pages.LangQuery = None) -> Response:
    """A stand-in for the company's website with the banner script embedded, as a customer would."""
    policy = runtime.policy
    _categories(policy)
    chosen = pages._chosen_language(policy, lang) or policy.organisation.default_language
    return pages._page(chosen, "cookie_demo.html.j2", policy=policy, languages=[])


@router.post("/cookies/choice")
def save_choice(
    request: Request,
    runtime: RuntimeDep,
    choice: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    lang: Annotated[str, Form()] = "",
    return_to: Annotated[str, Form()] = "banner",
    categories: Annotated[list[str] | None, Form()] = None,
) -> RedirectResponse:
    """Record the visitor's choice: one grant or withdraw event per optional category, at once."""
    policy = runtime.policy
    visitor = visitor_id(request)
    if visitor is None or not auth_service.csrf_valid(
        runtime.settings.secret_key, f"visitor:{visitor}", csrf_token
    ):
        raise PermissionDeniedError(
            "the form has expired or did not come from this site; reload and try again"
        )
    known = _categories(policy)
    optional = [c for c in known if c.purpose is not None]
    if choice == "accept_all":
        wanted = {c.id for c in optional}
    elif choice == "reject_all":
        wanted = set()
    elif choice == "save":
        wanted = set(categories or []) & {c.id for c in optional}
    else:
        raise ValidationFailedError(
            "choice must be accept_all, reject_all or save", details={"field": "choice"}
        )
    language = lang if lang in policy.languages else policy.organisation.default_language
    text = _notice_text(policy, language, known)
    with runtime.uow.begin() as session:
        for category in optional:
            assert category.purpose is not None
            consent_service.record_event(
                session,
                policy,
                ConsentEventCreate(
                    visitor_id=visitor,
                    purpose=category.purpose,
                    channel="web",
                    scope=category.id,
                    action="grant" if category.id in wanted else "withdraw",
                    source="cookie_banner",
                    actor_type="visitor",
                    actor_id=visitor[:64],
                    language=language,
                    notice_text=text,
                ),
                clock=runtime.clock,
            )
    target = "/cookies" if return_to == "page" else "/cookies/banner"
    return RedirectResponse(f"{target}?lang={language}&saved=1", status_code=303)
