"""The web application: `create_app(settings)` wires settings, database, policy and routers."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tillit import __version__
from tillit.config import Settings
from tillit.core.clock import Clock, SystemClock
from tillit.core.errors import TillitError, TooManyRequestsError
from tillit.runtime import Runtime

log = logging.getLogger("tillit")


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """Build the FastAPI app for one organisation's policy."""
    context = Runtime(settings=settings, clock=clock or SystemClock())
    policy = context.policy
    app = FastAPI(
        title=f"tillit — {policy.organisation.name}",
        version=__version__,
        description="Customer conversations whose privacy notice is executable.",
        lifespan=_lifespan(context),
    )
    app.state.context = context
    _install_error_handlers(app)

    from fastapi.staticfiles import StaticFiles

    from tillit.web.router import STATIC_DIR
    from tillit.web.router import router as web_router

    # The chat API first: the router tries routes in order, and a chat turn is the request served most.
    _include_chat_api(app)
    app.include_router(web_router)
    from tillit.web.console import router as console_router

    app.include_router(console_router)
    from tillit.web.console_retention import router as retention_console_router

    app.include_router(retention_console_router)
    from tillit.web.console_marketing import api as marketing_api
    from tillit.web.console_marketing import router as marketing_console_router

    app.include_router(marketing_console_router)
    app.include_router(marketing_api)
    _include_chat(app)
    _include_consent(app)
    from tillit.web.matching_api import router as matching_router

    app.include_router(matching_router)
    _include_rights(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if settings.bench_endpoints:  # benchmarks only (demo mode); see tillit.bench_endpoints
        from tillit.bench_endpoints import build_router as bench_router

        app.include_router(bench_router(context))

    @app.get("/api/health", tags=["operations"])
    def health(request: Request) -> dict[str, str]:
        """Liveness: 200 whenever the process answers, also while the chatbot still trains (a restart
        would not make that faster). `chatbot` says how far its start-up training is: `warming` (a
        first turn now waits for it), `ready`, `failed` (logged; the first turn trains instead) or `off`
        (`TILLIT_CHATBOT_WARMUP=false`: the first turn trains). Readiness is `/api/health/ready`."""
        return _health_body(request)

    @app.get(
        "/api/health/ready",
        tags=["operations"],
        responses={503: {"description": "the chatbot is still training (`chatbot`: `warming`)"}},
    )
    def ready(request: Request) -> JSONResponse:
        """Readiness, for a load balancer or a test that chats: 503 (with `Retry-After`) while the
        chatbot's start-up training runs, so that no customer's first turn waits for it; 200 once it is
        done, and whenever there is nothing to wait for (`chatbot`: `off`, or `failed`, which is logged
        and leaves the first turn to train, as without warm-up). Same body as `/api/health`."""
        body = _health_body(request)
        if body["chatbot"] == "warming":
            return JSONResponse(status_code=503, content=body, headers={"Retry-After": "1"})
        return JSONResponse(content=body)

    return app


def _health_body(request: Request) -> dict[str, str]:
    runtime: Runtime = request.app.state.context
    policy = runtime.policy
    return {
        "status": "ok",
        "pack": policy.pack,
        "policy_version": policy.version,
        "chatbot": chatbot_state(request.app),
    }


def chatbot_state(app: FastAPI) -> str:
    """`warming`, `ready` or `failed` for the start-up training (`ChatbotWarmUp`), or `off` when the app
    did not start one (`TILLIT_CHATBOT_WARMUP=false`, or a lifespan that did not run)."""
    warm_up: ChatbotWarmUp | None = getattr(app.state, "chatbot_warmup", None)
    return "off" if warm_up is None else warm_up.state


def _lifespan(context: Runtime) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up work that must not delay serving: the chatbot is trained in a background thread
    (`TILLIT_CHATBOT_WARMUP`, on by default), so the first customer turn does not pay seconds of
    training, while the server already answers health checks. A turn that arrives during training waits
    for it (the trained bot is shared and built once), never trains a second copy. `/api/health/ready`
    answers 503 until the training is done."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if context.settings.chatbot_warmup:
            app.state.chatbot_warmup = _warm_up_in_background(context)
        yield

    return lifespan


class ChatbotWarmUp(threading.Thread):
    """The chatbot's start-up training in a background thread, and what became of it (`state`). The
    readiness lives here, where the training is started, rather than in the chatbot's cache."""

    def __init__(self, context: Runtime) -> None:
        super().__init__(name="chatbot-warm-up", daemon=True)
        self._policy = context.policy
        self._failed = False

    def run(self) -> None:
        try:
            from tillit.chatbot import service as chatbot_service

            chatbot_service.warm_up(self._policy)
        except Exception:  # the first turn trains (and reports) instead; start-up must not die for it
            self._failed = True
            log.exception("chatbot warm-up failed")
            return
        _freeze_long_lived_objects()

    @property
    def state(self) -> str:
        """`warming` until the training has returned (also before `start`), then `ready` or `failed`."""
        if self.ident is None or self.is_alive():
            return "warming"
        return "failed" if self._failed else "ready"


def _freeze_long_lived_objects() -> None:
    """Move what start-up built (the app, the policy, the trained chatbot) out of the garbage collector's
    sight: they live as long as the process, yet every full collection walked them all, pausing every
    request for up to 90-180 ms (measured in `bench/chat_turn.py`'s paced runs, where those pauses were
    the p99). Objects created later are collected as before."""
    gc.collect()
    gc.freeze()


def _warm_up_in_background(context: Runtime) -> ChatbotWarmUp:
    thread = ChatbotWarmUp(context)
    thread.start()
    return thread


def _include_chat_api(app: FastAPI) -> None:
    from tillit.conversations.router import build_router as chat_api
    from tillit.web.deps import chat_customer

    app.include_router(chat_api(chat_customer))


def _include_chat(app: FastAPI) -> None:
    """The /chat page and the demo customer login."""
    from tillit.web.chat import router as chat_page
    from tillit.web.customer_login import router as customer_login

    app.include_router(chat_page)
    app.include_router(customer_login)


def _include_consent(app: FastAPI) -> None:
    """The privacy centre, the consent API and the cookie banner."""
    from tillit.web.cookies import router as cookies_router
    from tillit.web.privacy_centre import router as privacy_centre_router

    app.include_router(privacy_centre_router)
    app.include_router(cookies_router)


def _include_rights(app: FastAPI) -> None:
    """Rights intake and the DPO's rights console; the security officer's disclosure register."""
    from tillit.disclosure.router import build_router as disclosure_api
    from tillit.web.console_disclosure import api_csrf
    from tillit.web.console_disclosure import router as disclosure_console
    from tillit.web.deps import require_permission
    from tillit.web.rights_centre import router as rights_centre
    from tillit.web.rights_public import router as rights_public

    app.include_router(rights_centre)
    app.include_router(rights_public)
    from tillit.web.console_rights import router as rights_console

    app.include_router(rights_console)
    app.include_router(disclosure_console)
    app.include_router(disclosure_api(runtime_of, require_permission("disclosure.manage"), api_csrf))


def _install_error_handlers(app: FastAPI) -> None:
    """The one place where errors become HTTP responses; clients never see a stack trace."""

    @app.exception_handler(TillitError)
    async def _domain_error(_request: Request, exc: TillitError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, TooManyRequestsError) else None
        return JSONResponse(status_code=exc.http_status, content=exc.to_dict(), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_payload(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
            fields.append({"field": ".".join(loc), "message": err.get("msg", "invalid")})
        names = ", ".join(f["field"] for f in fields) or "request"
        body = {"error": {"code": "validation_failed", "message": f"invalid {names}", "fields": fields}}
        return JSONResponse(status_code=422, content=body)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            status_code=exc.status_code, content={"error": {"code": code, "message": str(exc.detail)}}
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        body = {
            "error": {"code": "internal_error", "message": "an unexpected error occurred; it has been logged"}
        }
        return JSONResponse(status_code=500, content=body)


async def runtime_of(request: Request) -> Runtime:
    """FastAPI dependency: the application's runtime. `async` although it awaits nothing: FastAPI runs a
    plain `def` dependency in its thread pool, a thread hop per request for an attribute read."""
    runtime: Runtime = request.app.state.context
    return runtime
