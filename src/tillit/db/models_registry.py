"""Import every domain's models so that `Base.metadata` is complete (for Alembic and schema checks).

This is the one place `db` names the domains, and only by module path: it imports nothing at load time.
"""

from __future__ import annotations

import importlib

MODEL_MODULES: tuple[str, ...] = (
    "tillit.policy.models",
    "tillit.subjects.models",
    "tillit.audit.models",
    "tillit.retention.models",
    "tillit.retention.sweep_models",
    "tillit.auth.models",
    "tillit.conversations.models",
    "tillit.chatbot.models",
    "tillit.consent.models",
    "tillit.rights.models",
    "tillit.marketing.analytics_models",
    "tillit.rights.intake_models",
    "tillit.disclosure.models",
    "tillit.marketing.models",
)


def import_all_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
