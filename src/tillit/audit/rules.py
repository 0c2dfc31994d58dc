"""Pure rules of the audit chain: the canonical form that is hashed, what `detail` may hold, and the
check of one row against its predecessor. No I/O, no clock: the service feeds rows in."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from tillit.audit.errors import AuditInputError

GENESIS_HASH = "0" * 64
"""The `prev_hash` of seq 1: there is no predecessor."""

ACTOR_TYPES: frozenset[str] = frozenset({"staff", "customer", "bot", "job", "system"})

ProblemKind = Literal["tampered", "gap", "chain", "truncated", "head"]

_ACTION = re.compile(r"^[a-z][a-z0-9_.]*$")
_DETAIL_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_MAX_DETAIL_BYTES = 4096
_MAX_DETAIL_STRING = 200
_MAX_DETAIL_DEPTH = 3
_MAX_DETAIL_LIST = 200
_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_HEX_LIKE = re.compile(r"^[0-9a-fA-F-]{32,}$")
_ISO_TIME_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_NUMBER_LIKE = re.compile(r"\+?\d[\d \-.()/\u00a0]{5,}\d")
_HETU_LIKE = re.compile(r"\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]", re.IGNORECASE)
_COLUMN_LIMITS = {
    "actor_id": 128,
    "action": 64,
    "purpose": 64,
    "subject_id": 36,
    "record_type": 64,
    "record_id": 128,
}


def canonical_bytes(
    *,
    seq: int,
    at: datetime,
    actor_type: str,
    actor_id: str,
    action: str,
    purpose: str | None,
    subject_id: str | None,
    record_type: str | None,
    record_id: str | None,
    detail: dict[str, Any],
    prev_hash: str,
) -> bytes:
    """The exact bytes a row's hash covers: sorted-key compact JSON, UTC time to the microsecond.

    Every column except the surrogate `id` and `hash` itself is covered, including `prev_hash`, which
    is what chains the rows: changing any earlier row changes every later hash.
    """
    payload = {
        "seq": seq,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_type": actor_type,
        "actor_id": actor_id,
        "action": action,
        "purpose": purpose,
        "subject_id": subject_id,
        "record_type": record_type,
        "record_id": record_id,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(**fields: Any) -> str:
    """SHA-256 (hex) of `canonical_bytes(**fields)`."""
    return hashlib.sha256(canonical_bytes(**fields)).hexdigest()


def check_fields(*, actor_type: str, action: str, **columns: str | None) -> None:
    """Reject rows that would not fit their columns or name an unknown kind of actor."""
    if actor_type not in ACTOR_TYPES:
        raise AuditInputError(f"unknown actor_type '{actor_type}' (expected one of {sorted(ACTOR_TYPES)})")
    if not _ACTION.match(action):
        raise AuditInputError(f"action '{action}' must be dotted lower-case words such as 'subject.read'")
    for name, value in {"action": action, **columns}.items():
        limit = _COLUMN_LIMITS.get(name)
        if value is not None and limit is not None and len(value) > limit:
            raise AuditInputError(f"{name} is longer than {limit} characters")
    if not columns.get("actor_id"):
        raise AuditInputError("actor_id is empty")


def check_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """Validate `detail`: ids, counts, kinds, flags and short codes only, never content or identifiers.

    The audit log outlives the records it describes (it is evidence of their deletion too), so it must
    not itself hold what was deleted. The checks below catch the usual mistakes (a message body, an
    e-mail address, a phone or national ID number passed as a string); they are a guard, not a proof,
    so callers still pass only ids and counts by design.
    """
    if detail is None:
        return {}
    if not isinstance(detail, dict):
        raise AuditInputError("detail must be a mapping")
    _check_value(detail, path="detail", depth=0)
    size = len(json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > _MAX_DETAIL_BYTES:
        raise AuditInputError(
            f"detail is {size} bytes; keep it under {_MAX_DETAIL_BYTES} (ids and counts only)"
        )
    return detail


def _check_value(value: Any, *, path: str, depth: int) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditInputError(f"{path} is not a finite number")
        return
    if isinstance(value, str):
        _check_string(value, path=path)
        return
    if depth >= _MAX_DETAIL_DEPTH:
        raise AuditInputError(f"{path} nests deeper than {_MAX_DETAIL_DEPTH} levels")
    if isinstance(value, list | tuple):
        if len(value) > _MAX_DETAIL_LIST:
            raise AuditInputError(f"{path} has more than {_MAX_DETAIL_LIST} items; store a count instead")
        for index, item in enumerate(value):
            _check_value(item, path=f"{path}[{index}]", depth=depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not _DETAIL_KEY.match(key):
                raise AuditInputError(f"{path} key {key!r} must be a lower-case identifier")
            _check_value(item, path=f"{path}.{key}", depth=depth + 1)
        return
    raise AuditInputError(f"{path} has unsupported type {type(value).__name__}")


def _check_string(value: str, *, path: str) -> None:
    if len(value) > _MAX_DETAIL_STRING:
        raise AuditInputError(f"{path} is longer than {_MAX_DETAIL_STRING} characters: looks like content")
    if _HEX_LIKE.match(value) or _ISO_TIME_LIKE.match(value):
        return  # ids, hashes and timestamps
    if _EMAIL_LIKE.search(value):
        raise AuditInputError(f"{path} looks like an e-mail address; pass an id instead")
    for match in _NUMBER_LIKE.finditer(value):
        if sum(ch.isdigit() for ch in match.group()) >= 7:
            raise AuditInputError(f"{path} looks like a phone or national ID number; pass an id instead")
    if _HETU_LIKE.search(value):
        raise AuditInputError(f"{path} looks like a national ID number; pass an id instead")


@dataclass(frozen=True)
class ChainRow:
    """One stored row as read back for verification."""

    seq: int
    at: datetime
    actor_type: str
    actor_id: str
    action: str
    purpose: str | None
    subject_id: str | None
    record_type: str | None
    record_id: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def recomputed_hash(self) -> str:
        return event_hash(
            seq=self.seq,
            at=self.at,
            actor_type=self.actor_type,
            actor_id=self.actor_id,
            action=self.action,
            purpose=self.purpose,
            subject_id=self.subject_id,
            record_type=self.record_type,
            record_id=self.record_id,
            detail=self.detail,
            prev_hash=self.prev_hash,
        )


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: ProblemKind
    message: str


@dataclass
class ChainChecker:
    """Walks the chain one row at a time in seq order, keeping only the last seq and hash (constant
    memory), and reports the first problem found."""

    expected_seq: int = 1
    prev_hash: str = GENESIS_HASH
    count: int = 0
    last_seq: int = 0
    problem: Problem | None = field(default=None)

    def feed(self, row: ChainRow) -> Problem | None:
        if self.problem is not None:
            return self.problem
        if row.seq != self.expected_seq:
            missing = (
                f"seq {self.expected_seq}"
                if row.seq == self.expected_seq + 1
                else f"seq {self.expected_seq} to {row.seq - 1}"
            )
            self.problem = Problem(
                self.expected_seq, "gap", f"{missing} missing before seq {row.seq}: rows were deleted"
            )
        elif row.recomputed_hash() != row.hash:
            self.problem = Problem(
                row.seq, "tampered", f"seq {row.seq} was changed after it was written (hash mismatch)"
            )
        elif row.prev_hash != self.prev_hash:
            before = "the start of the log" if row.seq == 1 else f"seq {row.seq - 1}"
            self.problem = Problem(
                row.seq,
                "chain",
                f"seq {row.seq} does not follow {before} (wrong prev_hash): a row was inserted, replaced "
                "or reordered",
            )
        if self.problem is not None:
            return self.problem
        self.count += 1
        self.last_seq = row.seq
        self.prev_hash = row.hash
        self.expected_seq = row.seq + 1
        return None

    def check_head(self, head: tuple[int, str] | None) -> Problem | None:
        """Compare the walked tail with the stored head (call once the walk found no newer rows)."""
        if self.problem is not None:
            return self.problem
        if head is None:
            if self.count:
                self.problem = Problem(
                    self.last_seq,
                    "head",
                    "the audit head is missing: cannot prove the newest rows were not deleted",
                )
            return self.problem
        head_seq, head_hash = head
        if head_seq > self.last_seq:
            which = (
                f"seq {self.last_seq + 1}"
                if head_seq == self.last_seq + 1
                else f"seq {self.last_seq + 1} to {head_seq}"
            )
            self.problem = Problem(
                self.last_seq + 1,
                "truncated",
                f"{which} missing at the end of the log (the head names seq {head_seq}): rows were deleted",
            )
        elif head_seq < self.last_seq:
            self.problem = Problem(
                head_seq + 1,
                "chain",
                f"rows after seq {head_seq} were added outside tillit (the head names seq {head_seq})",
            )
        elif head_hash != self.prev_hash:
            self.problem = Problem(
                head_seq,
                "head",
                f"the head's hash does not match seq {head_seq}: the row or the head was changed",
            )
        return self.problem
