"""Web pages. (Skeleton: the landing page and notice are added here.)"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
