"""Masking: replace found personal data by a tag, a keyed hash or a partial mask.

- ``tag``: ``[NO_NATIONAL_ID]`` -- nothing of the value survives; the default.
- ``hash``: ``[PHONE:3f9a0c2b1e]`` -- an HMAC-SHA256 of the normalised value under a key chosen per export,
  so the same person's number masks the same way inside one export (joins and counts still work) and
  differently in another (exports cannot be joined with each other). Without the key it cannot be undone.
- ``partial``: ``**** **** **** 1234`` -- digits and letters starred except the last four of a number,
  the first letter of each word of a name or address, and the domain of an e-mail. For people who need to
  recognise their own card or account, never for data leaving its purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from enum import StrEnum

from tillit.pii.kinds import Finding, Kind


class MaskStyle(StrEnum):
    TAG = "tag"
    HASH = "hash"
    PARTIAL = "partial"


_NON_ALNUM = re.compile(r"[\W_]+")
_TEXT_KINDS = frozenset({Kind.PERSON, Kind.STREET_ADDRESS, Kind.EMAIL})


def _normalise(kind: Kind, value: str) -> str:
    """The same value written differently ("912 34 567", "91234567") hashes the same."""
    if kind in _TEXT_KINDS:
        return " ".join(value.casefold().split())
    return _NON_ALNUM.sub("", value).upper()


def keyed_hash(kind: Kind, value: str, key: bytes, length: int = 10) -> str:
    digest = hmac.new(key, f"{kind.value}\x00{_normalise(kind, value)}".encode(), hashlib.sha256)
    return digest.hexdigest()[:length]


def _partial(kind: Kind, value: str) -> str:
    if kind is Kind.EMAIL and "@" in value:
        local, _, domain = value.partition("@")
        return local[:1] + "*" * max(len(local) - 1, 1) + "@" + domain
    if kind in (Kind.PERSON, Kind.STREET_ADDRESS):
        return re.sub(r"(?<=\w)\w", "*", value)
    keep = 4
    chars = list(value)
    seen = 0
    for idx in range(len(chars) - 1, -1, -1):
        if chars[idx].isalnum():
            seen += 1
            if seen > keep:
                chars[idx] = "*"
    return "".join(chars)


def mask(
    text: str,
    findings: Sequence[Finding],
    style: MaskStyle | str = MaskStyle.TAG,
    *,
    key: bytes | str | None = None,
) -> str:
    """`text` with every finding replaced according to `style` (findings may come in any order)."""
    style = MaskStyle(style)
    if style is MaskStyle.HASH:
        if not key:
            raise ValueError("the hash mask style needs a key (one per export)")
        key_bytes = key.encode() if isinstance(key, str) else key
    parts: list[str] = []
    pos = 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < pos:
            continue  # overlapping finding: the earlier one already covers it
        value = text[f.start : f.end]
        parts.append(text[pos : f.start])
        if style is MaskStyle.TAG:
            parts.append(f"[{f.kind.value}]")
        elif style is MaskStyle.HASH:
            parts.append(f"[{f.kind.value}:{keyed_hash(f.kind, value, key_bytes)}]")
        else:
            parts.append(_partial(f.kind, value))
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)


def redact(
    text: str,
    style: MaskStyle | str = MaskStyle.TAG,
    *,
    key: bytes | str | None = None,
    languages: Sequence[str] | None = None,
) -> str:
    """Find and mask in one call: what log lines, samples and prompts go through."""
    from tillit.pii.engine import find

    return mask(text, find(text, languages), style, key=key)
