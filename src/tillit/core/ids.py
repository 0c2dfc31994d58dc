"""Identifiers: random, URL-safe and unguessable where they are shown to customers."""

from __future__ import annotations

import secrets
import uuid


def new_id() -> str:
    """A random UUID4 as text, the primary key of most tillit rows."""
    return str(uuid.uuid4())


def new_token(nbytes: int = 24) -> str:
    """An unguessable URL-safe token (e.g. for anonymous conversations)."""
    return secrets.token_urlsafe(nbytes)
