"""Logging for every entry point: one format, and personal data masked before any handler writes it.

The PII filter sits on the handlers (a filter on a logger does not see records propagated from its
children), so application, uvicorn and access logs all pass through it: an access log's client IP or a
stray e-mail address in an error message never reaches a log line.
"""

from __future__ import annotations

import logging.config
from typing import Any


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary; also handed to uvicorn as its `log_config`."""
    pii_filter = {"()": "tillit.pii.logging_filter.PiiRedactingFilter"}
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "plain",
        "filters": ["pii"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"pii": pii_filter},
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["default"], "level": level.upper(), "propagate": False},
        },
    }


def configure_logging(level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(level))
