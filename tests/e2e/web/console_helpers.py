"""Shared set-up for the advisor console tests: an app over a pack, staff accounts, logging in through the
real form, conversations in the states the console cares about, and counting audit rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import make_settings
from tillit.auth import service as auth_service
from tillit.auth.schemas import StaffCreate
from tillit.conversations import service as conversations_service
from tillit.core.clock import FixedClock
from tillit.main import create_app
from tillit.runtime import Runtime

PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@contextmanager
def console_app(database_url: str, clock: FixedClock, pack: str = "bank") -> Iterator[TestClient]:
    """The real app (create_app) over a migrated database, the pack and the test's clock."""
    app = create_app(make_settings(database_url, pack=pack), clock=clock)
    with TestClient(app) as client:
        yield client
    app.state.context.close()


def runtime_of(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.context  # type: ignore[attr-defined]
    return runtime


def add_staff(client: TestClient, username: str, *roles: str) -> str:
    runtime = runtime_of(client)
    with runtime.uow.begin() as session:
        account = auth_service.add_staff(
            session,
            StaffCreate(
                username=username, display_name=username.title(), password=PASSWORD, roles=list(roles)
            ),
            runtime.clock,
        )
    return account.id


def post_login_form(
    client: TestClient, username: str, password: str, lang: str | None = None
) -> httpx.Response:
    """Fill in and post the login form as a browser does (its pre-session CSRF cookie and token)."""
    form = client.get("/console/login" + (f"?lang={lang}" if lang else ""))
    token = CSRF_FIELD.search(form.text)
    assert token is not None
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form (pre-session CSRF cookie and token) and return the session's CSRF token."""
    client.cookies.clear()
    response = post_login_form(client, username, password)
    assert response.status_code == 303, response.text
    return session_csrf(client)


def session_csrf(client: TestClient) -> str:
    page = client.get("/console")
    match = CSRF_META.search(page.text)
    assert match is not None, page.text
    return match.group(1)


def start(client: TestClient, *, subject_id: str | None = None, queued: bool = True) -> str:
    """A chat conversation with one customer message, in the queue unless `queued` is False."""
    runtime = runtime_of(client)
    policy = runtime.policy
    with runtime.uow.begin() as session:
        started = conversations_service.start(
            session,
            policy,
            language=policy.organisation.default_language,
            clock=runtime.clock,
            secret=runtime.settings.secret_key,
            subject_id=subject_id,
        )
        conversation_id = started.conversation.id
        conversations_service.add_message(
            session,
            policy,
            conversation_id,
            author="customer",
            text="Hei, jeg trenger hjelp",
            clock=runtime.clock,
        )
        if queued:
            conversations_service.request_handoff(session, policy, conversation_id, clock=runtime.clock)
    return conversation_id


def take_as(client: TestClient, conversation_id: str, advisor_id: str) -> None:
    runtime = runtime_of(client)
    with runtime.uow.begin() as session:
        conversations_service.take(
            session, runtime.policy, conversation_id, advisor_id=advisor_id, clock=runtime.clock
        )


def audit_reads(client: TestClient, conversation_id: str, action: str = "conversation.read") -> int:
    """Audit rows of `action` on this conversation's record."""
    runtime = runtime_of(client)
    with runtime.uow.read() as session:
        return int(
            session.execute(
                text("SELECT count(*) FROM audit_event WHERE action = :action AND record_id = :record"),
                {"action": action, "record": conversation_id},
            ).scalar_one()
        )


def conversation_row(client: TestClient, conversation_id: str) -> dict[str, object]:
    runtime = runtime_of(client)
    with runtime.uow.read() as session:
        found = conversations_service.get(session, conversation_id)
        messages = conversations_service.messages(session, conversation_id)
    return found.model_dump() | {"messages": len(messages)}
