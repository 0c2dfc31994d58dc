"""One typed settings tree, read once from the environment (prefix `TILLIT_`) and injected."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_PLACEHOLDER = "demo-only-insecure-secret-key-change-me"  # noqa: S105 - refused outside demo mode


class Settings(BaseSettings):
    """Everything tillit reads from its environment. Secrets come only from here."""

    model_config = SettingsConfigDict(env_prefix="TILLIT_", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = SECRET_KEY_PLACEHOLDER
    demo_mode: bool = False
    pack: str = "bank"
    policy_path: Path | None = Field(default=None, description="A policy file instead of the pack's own")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    llm_url: str | None = Field(default=None, description="OpenAI-compatible endpoint for generated answers")
    llm_model: str | None = None
    llm_timeout_s: float = 5.0
    chatbot_warmup: bool = Field(
        default=True,
        description="Train the chatbot in a background thread at start-up, so the first customer does not "
        "wait seconds for it; tests turn it off to stay fast",
    )
    bench_endpoints: bool = Field(
        default=False,
        description="Mount /api/v1/bench/* for bench/chat_turn.py; refused outside demo mode",
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "tillit@example.com"
    login_max_failures_per_username: int = Field(
        default=5,
        ge=1,
        description="Staff logins: this many failures for one username within the window lock that "
        "username for the lockout (also with the right password)",
    )
    login_max_failures_per_client: int = Field(
        default=20,
        ge=1,
        description="Staff logins: this many failures from one client address (IPv6: its /64) within the "
        "window lock that client out for the lockout, whatever username it tries",
    )
    login_failure_window_s: int = Field(default=900, ge=1, description="Staff logins: the counting window")
    login_lockout_s: int = Field(default=900, ge=1, description="Staff logins: how long a lockout lasts")

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'tillit.sqlite3').as_posix()}"
        if self.secret_key == SECRET_KEY_PLACEHOLDER and not self.demo_mode:
            raise ValueError(
                "TILLIT_SECRET_KEY is the demo placeholder; set a real secret "
                "(or TILLIT_DEMO_MODE=true for a local demo)"
            )
        if self.bench_endpoints and not self.demo_mode:
            raise ValueError(
                "TILLIT_BENCH_ENDPOINTS adds an unauthenticated write endpoint for benchmarks; "
                "it is refused outside demo mode"
            )
        if len(self.secret_key) < 16:
            raise ValueError("TILLIT_SECRET_KEY must be at least 16 characters")
        return self


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment, with explicit overrides taking precedence."""
    return Settings(**overrides)  # type: ignore[arg-type]
