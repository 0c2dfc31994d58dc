"""A `logging.Filter` that masks personal data in every record before any handler formats it.

Attach it to handlers (or loggers) whose output leaves the purpose the data was collected for: files,
log shippers, error trackers. The message is rendered once (`record.getMessage()`), masked, and stored
back with no arguments, so a formatter cannot re-insert the raw values.
"""

from __future__ import annotations

import logging

from tillit.pii.engine import find
from tillit.pii.masking import MaskStyle, mask


class PiiRedactingFilter(logging.Filter):
    """Replace personal data in log messages (and rendered exception text) by tags or keyed hashes."""

    def __init__(self, style: MaskStyle | str = MaskStyle.TAG, *, key: bytes | str | None = None) -> None:
        super().__init__()
        self.style = MaskStyle(style)
        self.key = key
        if self.style is MaskStyle.HASH and not key:
            raise ValueError("the hash mask style needs a key")

    def _mask(self, text: str) -> str:
        return mask(text, find(text), self.style, key=self.key)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = self._mask(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        return True
