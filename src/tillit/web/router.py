"""Web pages and the policy's public API: the landing page, the privacy notice, the policy as JSON.

The pages speak the policy's languages. `?lang=` picks one (default: the policy's default language);
an unknown language on a *page* gets a friendly HTML page (status 422) that links to the languages the
notice exists in, because a person followed that link; on the *API* it is the usual 422 JSON error.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from tillit.core.errors import ValidationFailedError
from tillit.main import runtime_of
from tillit.policy import render
from tillit.policy.schema import Policy
from tillit.runtime import Runtime

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

router = APIRouter()
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
LangQuery = Annotated[
    str | None, Query(description="Language code (one of the policy's languages); default: its default")
]


@dataclass(frozen=True)
class LandingLink:
    """A page listed on the landing page: its path and its English label (a catalogue message id)."""

    path: str
    label: str


LANDING_LINKS: list[LandingLink] = []
"""Pages added later (chat, privacy centre, consoles) append themselves here to be listed on `/`."""


@cache
def _environment(lang: str) -> Environment:
    """One Jinja2 environment per language (its own gettext), autoescaping every HTML template."""
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


def _page(lang: str, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = _environment(lang).get_template(template).render(lang=lang, **context)
    return HTMLResponse(html, status_code=status_code, headers={"Content-Language": lang})


def _languages(policy: Policy, current: str, path: str) -> list[dict[str, Any]]:
    """The language switcher: each language named in itself, linking to the same page in it."""
    return [
        {
            "code": code,
            "name": render.language_name(code),
            "href": f"{path}?lang={code}",
            "current": code == current,
        }
        for code in policy.languages
    ]


def _chosen_language(policy: Policy, lang: str | None) -> str | None:
    """The page language, or None when `lang` is not one the notice can be shown in."""
    if lang is None:
        return policy.organisation.default_language
    code = lang.strip().lower()
    try:
        render.check_language(policy, code)
    except ValidationFailedError:
        return None
    return code


def _unknown_language(policy: Policy, requested: str, path: str) -> HTMLResponse:
    lang = policy.organisation.default_language
    return _page(
        lang,
        "language_error.html.j2",
        status_code=422,
        policy=policy,
        requested=requested,
        languages=_languages(policy, "", path),
    )


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def landing_page(runtime: RuntimeDep, lang: LangQuery = None) -> HTMLResponse:
    """Where to start: the notice in every language, the API documentation, and the other pages."""
    policy = runtime.policy
    chosen = _chosen_language(policy, lang)
    if chosen is None:
        return _unknown_language(policy, lang or "", "/")
    notices = [
        {
            "code": code,
            "language": render.language_name(code),
            "title": render.translations(code).gettext("Privacy notice"),
            "href": f"/privacy?lang={code}",
        }
        for code in policy.languages
    ]
    return _page(
        chosen,
        "landing.html.j2",
        policy=policy,
        notices=notices,
        extra_links=LANDING_LINKS,
        languages=_languages(policy, chosen, "/"),
    )


@router.get(
    "/privacy", response_class=HTMLResponse, tags=["notice"], summary="The privacy notice as a web page"
)
def privacy_page(runtime: RuntimeDep, lang: LangQuery = None) -> HTMLResponse:
    """The privacy notice rendered from the policy in force, with a language switcher."""
    policy = runtime.policy
    chosen = _chosen_language(policy, lang)
    if chosen is None:
        return _unknown_language(policy, lang or "", "/privacy")
    notice = Markup(render.render_notice(policy, chosen, "html", standalone=False))  # noqa: S704 - autoescaped
    return _page(
        chosen,
        "privacy.html.j2",
        policy=policy,
        notice=notice,
        languages=_languages(policy, chosen, "/privacy"),
    )


@router.get("/privacy/notice.css", include_in_schema=False)
def notice_stylesheet() -> Response:
    """The notice's own stylesheet (shared with the standalone HTML the CLI writes)."""
    return Response(
        render.notice_css(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/api/v1/policy", tags=["policy"], summary="The policy in force, as JSON")
def policy_document(runtime: RuntimeDep) -> JSONResponse:
    """The whole policy as validated; the ETag is the SHA-256 of the policy file, so clients can cache it."""
    loaded = runtime.loaded_policy
    body = loaded.policy.model_dump(mode="json", by_alias=True)
    return JSONResponse(body, headers={"ETag": f'"{loaded.sha256}"'})


@router.get(
    "/api/v1/policy/notice",
    tags=["policy"],
    summary="The privacy notice as Markdown or HTML",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}, "text/html": {}}}},
)
def policy_notice(
    runtime: RuntimeDep,
    lang: LangQuery = None,
    fmt: Annotated[render.NoticeFormat, Query(alias="format", description="md or html")] = "md",
) -> Response:
    """The notice as a document: Markdown, or a standalone HTML page. Unknown language: 422."""
    policy = runtime.policy
    chosen = (lang or policy.organisation.default_language).strip().lower()
    text = render.render_notice(policy, chosen, fmt)
    media_type = "text/markdown" if fmt == "md" else "text/html"
    return Response(text, media_type=f"{media_type}; charset=utf-8", headers={"Content-Language": chosen})
