"""Log lines carry no personal data: the PII filter sits on every handler of the shared config."""

from __future__ import annotations

import io
import logging
import logging.config

from tillit.logging_setup import logging_config


def test_application_and_access_logs_are_masked() -> None:
    config = logging_config("INFO")
    stream = io.StringIO()
    config["handlers"]["default"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        logging.getLogger("tillit.chat").info("customer kari.nordmann@example.com wrote from 203.0.113.7")
        logging.getLogger("uvicorn.access").info('%s - "GET /api/health" 200', "198.51.100.23:5123")
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    output = stream.getvalue()
    assert "kari.nordmann@example.com" not in output
    assert "203.0.113.7" not in output and "198.51.100.23" not in output
    assert "[EMAIL]" in output and "GET /api/health" in output
