"""The logging filter: no log line carries personal data, whatever the formatter does."""

from __future__ import annotations

import io
import logging

import pytest

from tillit.pii.logging_filter import PiiRedactingFilter


def _logger(stream: io.StringIO, filt: logging.Filter) -> logging.Logger:
    logger = logging.getLogger(f"tillit.test.pii.{id(stream)}")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(filt)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger


def test_arguments_and_message_are_masked() -> None:
    out = io.StringIO()
    log = _logger(out, PiiRedactingFilter())
    log.info("customer %s called from %s", "Kari Nordmann", "912 34 567")
    log.info("e-mail kari@example.com bounced")
    assert out.getvalue() == "INFO customer [PERSON] called from [PHONE]\nINFO e-mail [EMAIL] bounced\n"


def test_exception_text_is_masked() -> None:
    out = io.StringIO()
    log = _logger(out, PiiRedactingFilter())
    try:
        raise ValueError("bad account 2512.39.37042")
    except ValueError:
        log.exception("failed")
    assert "2512.39.37042" not in out.getvalue()
    assert "[NO_BANK_ACCOUNT]" in out.getvalue()


def test_hash_style_needs_key() -> None:
    with pytest.raises(ValueError, match="key"):
        PiiRedactingFilter("hash")
    out = io.StringIO()
    _logger(out, PiiRedactingFilter("hash", key="k")).info("tlf 912 34 567")
    assert out.getvalue().startswith("INFO tlf [PHONE:")
