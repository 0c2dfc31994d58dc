"""The runtime every entry point shares: settings, engine, unit of work, the policy in force, the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tillit.config import Settings, load_settings
from tillit.core.clock import Clock, FixedClock, SystemClock
from tillit.db.session import UnitOfWork, make_engine, make_session_factory
from tillit.policy import service as policy_service
from tillit.policy.loader import LoadedPolicy
from tillit.policy.schema import Policy


@dataclass
class Runtime:
    """Created once per process (or per test) and passed to whatever needs it."""

    settings: Settings
    clock: Clock

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    @cached_property
    def loaded_policy(self) -> LoadedPolicy:
        return policy_service.load_configured_policy(self.settings)

    @property
    def policy(self) -> Policy:
        return self.loaded_policy.policy

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def build_runtime(settings: Settings | None = None, *, now: datetime | None = None) -> Runtime:
    """A runtime from the environment; `now` freezes the clock (the CLI's `--now`)."""
    clock: Clock = FixedClock(now) if now is not None else SystemClock()
    return Runtime(settings=settings or load_settings(), clock=clock)
