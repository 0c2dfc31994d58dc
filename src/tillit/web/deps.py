"""Request dependencies shared by pages and JSON endpoints: who is logged in, and CSRF.

A session cookie carries the session token signed with the deployment secret (itsdangerous), so a
forged or edited cookie is rejected before the database is asked. The database keeps only a hash of the
token (see `auth.service`), so logout and expiry are enforced server-side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.concurrency import run_in_threadpool

from tillit.auth import service as auth_service
from tillit.auth.schemas import Principal
from tillit.core.errors import NotAuthenticatedError, PermissionDeniedError
from tillit.main import runtime_of
from tillit.runtime import Runtime

STAFF_COOKIE = "tillit_staff"
CUSTOMER_COOKIE = "tillit_customer"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

RuntimeDep = Annotated[Runtime, Depends(runtime_of)]


def _serializer(runtime: Runtime) -> URLSafeSerializer:
    return URLSafeSerializer(runtime.settings.secret_key, salt="tillit-session-cookie")


def set_session_cookie(response: Response, runtime: Runtime, name: str, token: str, *, secure: bool) -> None:
    response.set_cookie(
        name,
        _serializer(runtime).dumps(token),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_session_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/")


def signed_cookie(request: Request, serializer: URLSafeSerializer, name: str) -> str | None:
    """The string a cookie carries signed by `serializer`, or None when absent or tampered with (session
    tokens here, the nonces of the login and rights forms)."""
    raw = request.cookies.get(name)
    if not raw:
        return None
    try:
        value = serializer.loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def session_token(request: Request, runtime: Runtime, name: str) -> str | None:
    """The session token from a signed cookie, or None when absent or tampered with."""
    return signed_cookie(request, _serializer(runtime), name)


def _principal(request: Request, runtime: Runtime, cookie: str) -> Principal | None:
    token = session_token(request, runtime, cookie)
    if token is None:
        return None
    try:
        with runtime.uow.read() as session:
            return auth_service.resolve_session(session, token, runtime.clock)
    except NotAuthenticatedError:
        return None


def optional_staff(request: Request, runtime: RuntimeDep) -> Principal | None:
    principal = _principal(request, runtime, STAFF_COOKIE)
    return principal if principal is not None and principal.kind == "staff" else None


def current_staff(request: Request, runtime: RuntimeDep) -> Principal:
    principal = optional_staff(request, runtime)
    if principal is None:
        raise NotAuthenticatedError("staff login required")
    return principal


def optional_customer(request: Request, runtime: RuntimeDep) -> Principal | None:
    principal = _principal(request, runtime, CUSTOMER_COOKIE)
    return principal if principal is not None and principal.kind == "customer" else None


async def chat_customer(request: Request, runtime: RuntimeDep) -> Principal | None:
    """`optional_customer` for the chat API, which every chat turn passes through: an anonymous customer
    (no customer cookie) is answered on the event loop, without the thread hop a plain `def` dependency
    costs; only a cookie, whose session must be looked up in the database, goes to the thread pool."""
    if not request.cookies.get(CUSTOMER_COOKIE):
        return None
    return await run_in_threadpool(optional_customer, request, runtime)


def current_customer(request: Request, runtime: RuntimeDep) -> Principal:
    principal = optional_customer(request, runtime)
    if principal is None:
        raise NotAuthenticatedError("please log in")
    return principal


def require_permission(permission: str) -> Callable[..., Principal]:
    """A dependency that lets a staff member through only with `permission` (see `auth.rules`)."""

    def dependency(staff: Annotated[Principal, Depends(current_staff)]) -> Principal:
        if not auth_service.has_permission(staff, permission):
            raise PermissionDeniedError("your role does not allow this")
        return staff

    return dependency


def csrf_token_for(request: Request, runtime: Runtime, cookie: str) -> str:
    """The CSRF token to put in this session's forms (empty when not logged in)."""
    token = session_token(request, runtime, cookie)
    return auth_service.csrf_token(runtime.settings.secret_key, token) if token else ""


def check_csrf(request: Request, runtime: Runtime, cookie: str, presented: str | None) -> None:
    """Refuse a state-changing request whose CSRF token (form field or header) does not match."""
    token = session_token(request, runtime, cookie)
    presented = presented or request.headers.get(CSRF_HEADER)
    if token is None or not auth_service.csrf_valid(runtime.settings.secret_key, token, presented):
        raise PermissionDeniedError(
            "the form has expired or did not come from this site; reload and try again"
        )


StaffDep = Annotated[Principal, Depends(current_staff)]
CustomerDep = Annotated[Principal, Depends(current_customer)]
OptionalCustomerDep = Annotated[Principal | None, Depends(optional_customer)]
