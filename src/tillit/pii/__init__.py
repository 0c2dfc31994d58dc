"""Detection and masking of personal data in free text, Nordic first.

`find(text)` returns `Finding`s (kind, start, end, score); `mask(text, findings, style)` replaces them by a
tag, a keyed hash or a partial mask. See docs/pii.md for the kinds, the rules and the measured accuracy.
"""

from tillit.pii.engine import find
from tillit.pii.kinds import NUMBER_LIKE, Finding, Kind
from tillit.pii.masking import MaskStyle, mask, redact

__all__ = ["NUMBER_LIKE", "Finding", "Kind", "MaskStyle", "find", "mask", "redact"]
