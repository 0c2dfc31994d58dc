"""Errors reach clients as `{"error": {"code", "message"}}` with a stable code, never as a stack trace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from tests.conftest import make_settings
from tillit.core.errors import NotFoundError, PurposeNotAllowedError
from tillit.main import create_app


class _Payload(BaseModel):
    text: str = Field(max_length=10)
    count: int


@pytest.fixture
def app(sqlite_url: str) -> Iterator[FastAPI]:
    application = create_app(make_settings(sqlite_url))

    @application.post("/api/test/echo")
    def echo(payload: _Payload) -> dict[str, str]:
        return {"text": payload.text}

    @application.get("/api/test/missing")
    def missing() -> None:
        raise NotFoundError("no such conversation")

    @application.get("/api/test/purpose")
    def purpose() -> None:
        raise PurposeNotAllowedError("purpose 'chat_archive' does not hold this record")

    @application.get("/api/test/crash")
    def crash() -> None:
        raise RuntimeError("secret internals: /etc/passwd")

    yield application


def test_invalid_payload_is_422_naming_the_field(app: FastAPI) -> None:
    response = TestClient(app).post("/api/test/echo", json={"text": "x" * 11})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    fields = {f["field"] for f in error["fields"]}
    assert fields == {"text", "count"}


def test_domain_errors_keep_their_code_and_status(app: FastAPI) -> None:
    client = TestClient(app)
    missing = client.get("/api/test/missing")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": {"code": "not_found", "message": "no such conversation"}},
    )
    assert client.get("/api/test/purpose").json()["error"]["code"] == "purpose_not_allowed"


def test_unknown_route_is_json_404(app: FastAPI) -> None:
    response = TestClient(app).get("/api/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unexpected_error_hides_internals(app: FastAPI) -> None:
    response = TestClient(app, raise_server_exceptions=False).get("/api/test/crash")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "passwd" not in response.text and "Traceback" not in response.text


def test_health_names_pack_and_version(app: FastAPI) -> None:
    body = TestClient(app).get("/api/health").json()
    assert body["status"] == "ok" and body["pack"] == "bank"
