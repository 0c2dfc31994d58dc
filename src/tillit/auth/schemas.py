"""What the auth domain hands to other parts: who is logged in, and as what."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StaffCreate(BaseModel):
    username: str = Field(pattern=r"^[a-z][a-z0-9_.-]{1,63}$")
    display_name: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)
    roles: list[str] = Field(min_length=1)


class StaffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    username: str
    display_name: str
    roles: list[str]
    active: bool


class StaffLogin(BaseModel):
    """A successful staff login: who, and the new session's token (for a signed cookie, never stored)."""

    staff: StaffRead
    session_token: str


class Principal(BaseModel):
    """The person behind a session: a staff member (with roles) or a customer (a data subject)."""

    kind: Literal["staff", "customer"]
    id: str
    display_name: str = ""
    roles: list[str] = Field(default_factory=list)
    session_expires_at: datetime
