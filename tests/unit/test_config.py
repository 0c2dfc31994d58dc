"""Settings: the SQLite default under ./var and the refusal of the placeholder secret outside demo mode."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tillit.config import SECRET_KEY_PLACEHOLDER, Settings


def test_database_defaults_to_sqlite_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TILLIT_DATABASE_URL", raising=False)
    settings = Settings(demo_mode=True)
    assert settings.database_url == "sqlite:///var/tillit.sqlite3"


def test_environment_overrides_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILLIT_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/tillit")
    assert Settings(demo_mode=True).database_url.startswith("postgresql+psycopg://")


def test_placeholder_secret_is_refused_outside_demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TILLIT_SECRET_KEY", raising=False)
    monkeypatch.delenv("TILLIT_DEMO_MODE", raising=False)
    with pytest.raises(ValidationError, match="TILLIT_SECRET_KEY is the demo placeholder"):
        Settings()


def test_placeholder_secret_is_accepted_in_demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TILLIT_SECRET_KEY", raising=False)
    monkeypatch.setenv("TILLIT_DEMO_MODE", "true")
    assert Settings().secret_key == SECRET_KEY_PLACEHOLDER


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(secret_key="short")
