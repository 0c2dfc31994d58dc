"""The retention sweeper: delete or anonymise every record whose last hold has ended, and prove it.

How it stays correct when it is interrupted:

- Work is done in batches of records, each batch in its own transaction: read the expired
  records, drop those a legal hold covers, erase each record (all its rows and all its holds) through the
  domain that owns it, write the proof rows, commit. A crash (even SIGKILL) rolls the open batch back
  whole, so no record is ever half gone and no proof counts rows that are still there.
- It is idempotent: a record is found only through its holds, and its holds go in the same transaction
  as its rows. A second run finds what the first did not finish, and nothing twice.
- One sweeper at a time (`lock.sweep_lock`): PostgreSQL advisory lock, SQLite lease row.
- Within one sweep a keyset cursor on (expires_at, hold id) moves forward, so records that must stay
  (legal hold, a kind with no eraser) are passed once, not re-read by every batch.

How big a batch is: by rows, not records. A conversation of 10 messages and one of 2,000 are one record
each, so a fixed number of records gives transactions of very different sizes. The first batch takes
`FIRST_BATCH` records; after each batch the next one is sized from the rows per record just erased so
that it erases about `batch_rows` rows (100,000 by default), never more than `batch_size` records.
Fewer, larger batches pay the fixed cost of a batch (its statements, proof, audit row and commit) fewer
times and touch each table page fewer times. The rows of a batch stay locked until it commits (on the
benchmark machine a batch took 0.23 s on average at 1M expired messages and 0.43 s at 10M, see
docs/performance.md); the records are expired, so nothing else should be writing them. A smaller
`batch_rows` gives shorter locks for a slower sweep.

On PostgreSQL each batch commits with `synchronous_commit = off` and is planned for pages in memory and
without parallel workers (see `_tune_transaction`).

`dry_run` does exactly the same work and rolls every batch back: the counts are real, nothing changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.core.clock import Clock, FixedClock
from tillit.core.ids import new_id
from tillit.db.session import UnitOfWork
from tillit.policy.schema import Policy, RetentionAction
from tillit.retention import erasers, legal, sweep_repository, sweep_rules
from tillit.retention.lock import sweep_lock
from tillit.retention.sweep_models import DeletionProof
from tillit.retention.sweep_repository import ExpiredBatch
from tillit.retention.sweep_schemas import GroupResult, ProofRead, SweepResult

DEFAULT_BATCH = 10_000
"""Most records per transaction (the CLI's `--batch-size`); `DEFAULT_BATCH_ROWS` usually decides first."""
DEFAULT_BATCH_ROWS = 100_000
"""Rows erased per transaction the sweeper aims at (rows of every table a record's erasure touches)."""
FIRST_BATCH = 500
"""Records in the first batch, before the sweep knows how many rows a record has."""
ProgressCallback = Callable[[int], None]
"""Called after each batch with the number of expired records it handled (swept, held or skipped)."""

GroupKey = tuple[str, str, int, RetentionAction]
"""(record_type, purpose, rule_index, action): one proof row per batch and key."""


def count_expired(uow: UnitOfWork, clock: Clock) -> int:
    """How many records have no alive hold now (the sweep's total, for its progress bar)."""
    with uow.read() as session:
        return sweep_repository.count_expired(session, clock.now())


def sweep(
    uow: UnitOfWork,
    engine: Engine,
    policy: Policy,
    clock: Clock,
    *,
    batch_size: int = DEFAULT_BATCH,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    dry_run: bool = False,
    policy_version: str | None = None,
    on_batch: ProgressCallback | None = None,
    max_batches: int | None = None,
) -> SweepResult:
    """Sweep everything expired at `clock.now()` (fixed for the whole sweep). SweepBusyError when another
    sweeper holds the lock. `batch_size` caps the records of one batch, `batch_rows` sizes batches by the
    rows they erase (see the module docstring). `max_batches` stops early (tests; the next run continues)."""
    if batch_size < 1 or batch_rows < 1:
        raise ValueError("batch_size and batch_rows must be at least 1")
    now = clock.now()
    frozen = FixedClock(now)
    result = SweepResult(sweep_id=new_id(), now=now, dry_run=dry_run)
    totals: dict[GroupKey, GroupResult] = {}
    cursor: tuple[datetime, str] | None = None
    limit = min(batch_size, FIRST_BATCH)
    with sweep_lock(engine) as lease:
        while max_batches is None or result.batches < max_batches:
            with uow.read() if dry_run else uow.begin() as session:
                _tune_transaction(session)
                coverage = legal.coverage(session)
                batch = sweep_repository.expired_batch(
                    session,
                    now,
                    limit,
                    cursor,
                    legal_records=coverage.records,
                    legal_subjects=coverage.subjects,
                )
                if batch.cursor is None:
                    break
                cursor = batch.cursor
                result.batches += 1
                rows = _batch(session, policy, frozen, batch, result, totals, policy_version)
                if dry_run:
                    session.rollback()
            lease.renew()
            if on_batch is not None:
                on_batch(batch.found)
            if batch.found < limit:
                break
            limit = _next_limit(limit, batch.found, rows, batch_size, batch_rows)
    result.groups = sorted(totals.values(), key=lambda g: (g.record_type, g.purpose, g.rule_index, g.action))
    return result


def _tune_transaction(session: Session) -> None:
    """PostgreSQL: let this batch's COMMIT return before its WAL reaches the disk, and plan its
    statements for what they are: a few thousand rows reached by key, one backend. All three settings
    are local to the transaction; other sessions keep the server's. SQLite: nothing to do.

    `synchronous_commit = off`: safe for the sweeper, and only for it: a crash may lose the last few
    batches committed this way (never a part of one: the WAL of a transaction is replayed whole or not
    at all), and losing them only undoes deletions. The proof rows and the audit row of a batch are in
    the same transaction as its deletions, so a lost batch loses its proof too and no proof ever claims
    a deletion that did not happen. The records of a lost batch still have their expired holds, so the
    next sweep (it is idempotent) finds and erases them again.

    `random_page_cost = 1.1` (the default 4 prices a random page read as on a spinning disk): a batch's
    statements reach its rows by key, on pages the batch has just read (its holds) or that neighbour
    each other (a conversation's messages). At the default cost, batches of 2,272 conversations were
    deleted with sequential scans of the whole conversation and hold tables at every batch
    (`EXPLAIN (ANALYZE, BUFFERS)` at 1M messages: 116,500 conversations and 233,000 holds read to
    delete 2,272 and 4,544 of them), a cost that grows with the tables.

    `max_parallel_workers_per_gather = 0`: the candidate query reads the `expires_at` index in order
    under a LIMIT and probes each hold's record; PostgreSQL planned the index scan in parallel
    (Gather Merge), which only adds the start of a worker per batch, since the probes, the costly
    part, stay in the leader.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "SELECT set_config('synchronous_commit', 'off', true), "
                "set_config('random_page_cost', '1.1', true), "
                "set_config('max_parallel_workers_per_gather', '0', true)"
            )
        )


def _next_limit(limit: int, found: int, rows: int, batch_size: int, batch_rows: int) -> int:
    """Records for the next batch: about `batch_rows` rows at the rows per record of this one, at most
    twice this batch's records (a batch of held or skipped records says little), at most `batch_size`."""
    per_record = max(1.0, rows / found) if rows else 1.0
    return max(1, min(batch_size, 2 * limit, int(batch_rows / per_record)))


def _batch(
    session: Session,
    policy: Policy,
    clock: FixedClock,
    batch: ExpiredBatch,
    result: SweepResult,
    totals: dict[GroupKey, GroupResult],
    policy_version: str | None,
) -> int:
    """One batch in the caller's transaction: decide (once per group of records whose holds ended alike
    at their last instant: which hold decides depends only on those), erase, forget holds, prove,
    audit. Returns the rows erased (every table, holds not counted)."""
    result.legal_held += batch.legal_held
    groups: dict[GroupKey, list[str]] = defaultdict(list)
    windows: dict[GroupKey, list[datetime]] = defaultdict(list)
    for found in batch.groups:
        verdict = sweep_rules.decide([sweep_rules.LastHold(p, r, a, found.latest) for p, r, a in found.last])
        action = erasers.proof_action(found.record_type, verdict.action)
        key: GroupKey = (found.record_type, verdict.purpose, verdict.rule_index, action)
        groups[key].extend(found.record_ids)
        windows[key] += (found.earliest, found.latest)

    batch_no = result.batches
    swept = 0
    erased_rows = 0
    for key in sorted(groups, key=lambda k: (erasers.sort_key(k[0]), k[1], k[2], k[3])):
        record_type, purpose, rule_index, action = key
        wait = erasers.waiting(session, record_type, groups[key])
        if wait:
            result.waiting[record_type] = result.waiting.get(record_type, 0) + len(wait)
            groups[key] = [r for r in groups[key] if r not in wait]
            if not groups[key]:
                continue
        try:
            tables = erasers.erase(
                session, policy, record_type=record_type, action=action, record_ids=groups[key], clock=clock
            )
        except erasers.CannotEraseError:
            result.skipped[record_type] = result.skipped.get(record_type, 0) + len(groups[key])
            continue
        swept += len(groups[key])
        erased_rows += sum(tables.values())
        keep, anchor = sweep_rules.rule_of(policy, purpose, rule_index)
        session.add(
            DeletionProof(
                id=new_id(),
                sweep_id=result.sweep_id,
                batch_no=batch_no,
                record_type=record_type,
                purpose=purpose,
                rule_index=rule_index,
                keep=keep,
                anchor=anchor,
                action=action,
                records=len(groups[key]),
                table_counts=tables,
                earliest_expiry=min(windows[key]),
                latest_expiry=max(windows[key]),
                policy_version=policy_version,
                swept_at=clock.now(),
            )
        )
        total = totals.setdefault(
            key, GroupResult(record_type=record_type, purpose=purpose, rule_index=rule_index, action=action)
        )
        total.records += len(groups[key])
        for table, count in tables.items():
            total.tables[table] = total.tables.get(table, 0) + count
    result.records += swept
    if swept:
        audit_service.record(
            session,
            actor_type="job",
            actor_id=erasers.SWEEPER.id,
            action="retention.swept",
            detail={"sweep": result.sweep_id, "batch": batch_no, "records": swept},
            clock=clock,
        )
    session.flush()
    return erased_rows


def proofs_between(
    session: Session, start: datetime, end: datetime, *, limit: int = 10_000
) -> list[ProofRead]:
    """Proofs of deletion written in [start, end), oldest first: the report a DPO shows an auditor."""
    return [ProofRead.model_validate(p) for p in sweep_repository.proofs_between(session, start, end, limit)]
