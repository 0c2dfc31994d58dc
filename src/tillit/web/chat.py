"""The chat widget as a page: `/chat` (full page, or `?embed=1` inside the iframe that
`/static/tillit-chat-embed.js` opens on a company's website).

The page is server-rendered in the chosen language and carries, as JSON, the few things `chat.js` needs:
the API's address, what this pack offers (the contact form in the queue, advisor chat only when logged
in, deletion, feedback; all read from the policy) and every fixed string, already translated from the
catalogues, so the script itself contains no customer-facing text.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from tillit.conversations.api import chat_features
from tillit.policy.i18n import N_
from tillit.subjects import service as subjects_service
from tillit.web import router as pages
from tillit.web.deps import CUSTOMER_COOKIE, OptionalCustomerDep, RuntimeDep, csrf_token_for

router = APIRouter(include_in_schema=False)

CHAT_LINK = pages.LandingLink("/chat", N_("Chat with us"))
if CHAT_LINK not in pages.LANDING_LINKS:
    pages.LANDING_LINKS.append(CHAT_LINK)


def _json_for_script(data: dict[str, Any]) -> Markup:
    """JSON safe inside <script type="application/json">: `<`, `>` and `&` escaped so that no text
    (a policy's disclaimer, a translation) can close the element."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above


@router.get("/chat", response_class=HTMLResponse)
def chat_page(
    request: Request,
    runtime: RuntimeDep,
    customer: OptionalCustomerDep,
    lang: pages.LangQuery = None,
    embed: Annotated[bool, Query(description="Inside the embeddable iframe: no page header")] = False,
) -> HTMLResponse:
    """The chat in the customer's language; logged-in customers see who they are and can log out."""
    policy = runtime.policy
    chosen = pages._chosen_language(policy, lang)
    if chosen is None:
        return pages._unknown_language(policy, lang or "", "/chat")
    features = chat_features(policy)
    disclaimer: dict[str, str] = features.pop("disclaimer")
    customer_name = ""
    if customer is not None:
        with runtime.uow.read() as session:
            subject = subjects_service.get_subject(session, customer.id, secret=runtime.settings.secret_key)
        customer_name = subject.display_name or ""
    config = {
        "api": "/api/v1/chat",
        "language": chosen,
        "features": features,
        "loggedIn": customer is not None,
        "loginUrl": f"/login?lang={chosen}&next=/chat?lang={chosen}",
        "disclaimer": disclaimer.get(chosen, ""),
    }
    languages = pages._languages(policy, chosen, "/chat")
    if embed:
        for item in languages:
            item["href"] += "&embed=1"
    return pages._page(
        chosen,
        "chat.html.j2",
        policy=policy,
        languages=languages,
        embed=embed,
        features=features,
        config=_json_for_script(config),
        customer_name=customer_name,
        logged_in=customer is not None,
        csrf_token=csrf_token_for(request, runtime, CUSTOMER_COOKIE),
        login_url=config["loginUrl"],
    )
