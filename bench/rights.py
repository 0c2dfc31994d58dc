"""Benchmark: an access package for a subject with 10,000 messages and 100,000 dataset rows (PostgreSQL).

    .venv/bin/python bench/rights.py [--messages 10000] [--rows 100000] [--runs 3]

Creates its own database (dropped afterwards), loads the bank demo pack, gives one demo customer one
conversation with `--messages` messages and `--rows` rows in `bank_transactions` (each with its
statutory-retention hold), then times `rights.service.access_package` (collect by every identity across
tillit and all datasets, holds in set-based queries, JSON + HTML, zip) and `execute` for the access
request. Setup inserts in bulk; only the measured calls go through the services. Prints a table, with
the CPU time of this process beside the wall time (the rest is PostgreSQL and waiting for a core) and
the load average, because on a shared machine the wall time says as much about the neighbours.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import MetaData, create_engine, insert, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tillit.config import Settings
from tillit.conversations import service as conversations_service
from tillit.core.clock import FixedClock
from tillit.core.ids import new_id
from tillit.packs.demo import load_demo
from tillit.rights import service
from tillit.rights.schemas import RequestCreate
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

ADMIN_URL = os.environ.get("TILLIT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret-key-not-for-production-0123456789"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _admin(sql: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _fill(rt: Runtime, messages: int, rows: int) -> str:
    load_demo(rt)
    policy = rt.policy
    engine = rt.engine
    meta = MetaData()
    meta.reflect(
        bind=engine, only=["bank_transactions", "bank_accounts", "conversation_message", "retention_hold"]
    )
    tx, acc, msg, hold = (
        meta.tables[n]
        for n in ("bank_transactions", "bank_accounts", "conversation_message", "retention_hold")
    )
    with engine.connect() as conn:
        account = conn.execute(select(acc.c.id, acc.c.customer_number).limit(1)).one()
        top = conn.execute(select(tx.c.id).order_by(tx.c.id.desc()).limit(1)).scalar() or 0
    with rt.uow.begin() as session:
        subject = subjects_service.find_by_identifier(
            session, "customer_number", account.customer_number, secret=SECRET
        )
        assert subject is not None
        started = conversations_service.start(
            session, policy, language="nb", clock=rt.clock, secret=SECRET, subject_id=subject.id
        )
        cid = started.conversation.id
    with engine.begin() as conn:
        batch = []
        for i in range(messages):
            batch.append(
                {
                    "id": new_id(),
                    "conversation_id": cid,
                    "seq": i + 1,
                    "author": "customer" if i % 2 else "bot",
                    "author_id": None,
                    "text": f"Melding nummer {i} om kortet mitt og kontoen",
                    "topic": None,
                    "confidence": None,
                    "generated": False,
                    "created_at": NOW - timedelta(seconds=messages - i),
                }
            )
        conn.execute(insert(msg), batch)
        conn.execute(
            text("UPDATE conversation_conversation SET next_seq = :n WHERE id = :id"),
            {"n": messages + 1, "id": cid},
        )
        for start in range(0, rows, 10_000):
            part = range(start, min(start + 10_000, rows))
            conn.execute(
                insert(tx),
                [
                    {
                        "id": top + 1 + i,
                        "customer_number": account.customer_number,
                        "account_id": account.id,
                        "created_at": NOW - timedelta(minutes=i),
                        "amount": "12.50",
                        "currency": "NOK",
                        "kind": "card",
                        "counterparty": "Butikk AS",
                        "category": "groceries",
                        "card_last_four": "1234",
                    }
                    for i in part
                ],
            )
            conn.execute(
                insert(hold),
                [
                    {
                        "id": new_id(),
                        "record_type": "transactions",
                        "record_id": str(top + 1 + i),
                        "subject_id": None,
                        "purpose": "statutory_retention",
                        "rule_index": 0,
                        "action": "delete",
                        "expires_at": NOW + timedelta(days=1800),
                        "created_at": NOW,
                        "updated_at": NOW,
                        "ended_reason": None,
                    }
                    for i in part
                ],
            )
    with rt.uow.begin() as session:
        return service.file_request(
            session,
            policy,
            RequestCreate(type="access", channel="privacy_centre", language="nb", subject_id=subject.id),
            clock=rt.clock,
            actor=f"customer:{subject.id}",
        ).id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    name = f"tillit_bench_rights_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    rt = Runtime(
        settings=Settings(database_url=url, secret_key=SECRET, demo_mode=True, pack="bank"),
        clock=FixedClock(NOW),
    )
    try:
        t0 = time.perf_counter()
        request_id = _fill(rt, args.messages, args.rows)
        setup = time.perf_counter() - t0
        timings: list[float] = []
        size = 0
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            with rt.uow.begin() as session, cProfile.Profile() as prof:
                service.access_package(session, rt.policy, request_id, clock=rt.clock, secret=SECRET)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
        cpu: list[float] = []
        for _ in range(args.runs):
            t, c = time.perf_counter(), time.process_time()
            with rt.uow.begin() as session:
                package = service.access_package(
                    session, rt.policy, request_id, clock=rt.clock, secret=SECRET
                )
            timings.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            size = len(package)
        t = time.perf_counter()
        with rt.uow.begin() as session:
            evidence = service.execute(
                session, rt.policy, request_id, actor="staff:bench", clock=rt.clock, secret=SECRET
            )
        execute = time.perf_counter() - t
        found = {line.record_type: line.found for line in evidence.lines}
        print(f"{'measure':<44} {'value':>12}")
        print("-" * 57)
        print(f"{'messages in the conversation':<44} {found.get('conversation', 0) and args.messages:>12,}")
        print(f"{'rows in bank_transactions for the subject':<44} {found.get('transactions', 0):>12,}")
        print(f"{'setup (bulk insert, not measured)':<44} {setup:>11.1f}s")
        print(f"{'access_package, best of ' + str(args.runs):<44} {min(timings):>11.2f}s")
        print(f"{'access_package, median':<44} {statistics.median(timings):>11.2f}s")
        print(f"{'  of which tillit CPU (this process), median':<44} {statistics.median(cpu):>11.2f}s")
        print(f"{'load average (1 min) at the end':<44} {os.getloadavg()[0]:>12.1f}")
        print(f"{'execute (access: collect + evidence)':<44} {execute:>11.2f}s")
        print(f"{'package size (zip)':<44} {size / 1e6:>10.1f}MB")
    finally:
        rt.close()
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
