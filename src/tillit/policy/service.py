"""Policy use cases: load the configured policy, record versions in the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tillit.config import Settings
from tillit.core.clock import Clock
from tillit.core.ids import new_id
from tillit.policy.loader import LoadedPolicy, load_file, load_pack
from tillit.policy.models import PolicyVersion


def load_configured_policy(settings: Settings) -> LoadedPolicy:
    """The policy this deployment runs: an explicit file, or the configured demo pack."""
    if settings.policy_path is not None:
        return load_file(Path(settings.policy_path))
    return load_pack(settings.pack)


def record_version(session: Session, loaded: LoadedPolicy, clock: Clock) -> PolicyVersion:
    """Store the policy text as the active version of its pack, unless that exact text is already active."""
    pack = loaded.policy.pack
    current = session.scalars(
        select(PolicyVersion).where(PolicyVersion.pack == pack, PolicyVersion.active.is_(True))
    ).first()
    if current is not None and current.sha256 == loaded.sha256:
        return current
    session.execute(update(PolicyVersion).where(PolicyVersion.pack == pack).values(active=False))
    version = PolicyVersion(
        id=new_id(),
        pack=pack,
        version=loaded.policy.version,
        sha256=loaded.sha256,
        source=loaded.document.text,
        loaded_at=clock.now(),
        active=True,
    )
    session.add(version)
    session.flush()
    return version


def active_version(session: Session, pack: str) -> PolicyVersion | None:
    return session.scalars(
        select(PolicyVersion).where(PolicyVersion.pack == pack, PolicyVersion.active.is_(True))
    ).first()
