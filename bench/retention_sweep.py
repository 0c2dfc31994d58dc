"""Benchmark: the retention sweeper on PostgreSQL beside a raw set-based DELETE (the floor).

    .venv/bin/python bench/retention_sweep.py --sizes 1000000 10000000

For each size N it creates its own database, fills it in SQL (generate_series) with N expired messages
in bot-only chats of 10 messages (closed two years ago: both holds, `chatbot` P0D and
`chatbot_improvement` P1Y, have ended) among N/5 live messages (closed last week: the P0D hold has
ended, the 1-year hold is alive), then clones it twice (CREATE DATABASE ... TEMPLATE) and measures:

- sweeper: `tillit.retention.sweeper.sweep` with the bank policy, its default batch size, in a child
  process (peak RSS from getrusage of that process only);
- floor: the same end state with three set-based statements in one transaction (messages,
  conversations, holds of every record whose last hold ended);
- partitioned: the message and hold tables re-created as monthly range partitions (messages by
  created_at, holds by expires_at) and swept by the same sweeper; plus the time to DROP the partitions
  that hold only expired months, which is what partitioning is for.

Every database is dropped afterwards, unless `--keep NAME` is given: then the filled database is kept as
NAME_<size> (and reused without filling again when it already exists), and the sweeper and the floor run
on clones of it, which are dropped. Before each measurement the server is CHECKPOINTed, so neither side
pays for the other's dirty pages. `--runs N` measures both N times on fresh clones and reports medians.
Prints a table (and JSON with --json).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("TILLIT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2027, 6, 1, tzinfo=UTC)
PER_CONVERSATION = 10
BATCH: int | None = None
"""Records per sweeper transaction; None: the sweeper's own default."""
BATCH_ROWS: int | None = None
"""Rows per sweeper transaction the sweeper aims at; None: its own default."""


def _admin(sql: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _url(name: str) -> str:
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _fill(url: str, expired_messages: int, shuffled: bool = False) -> None:
    """Conversations c<n>, messages m<n>, two holds each; expired first, then live ones.

    Rows are inserted in creation order, as an append-only chat log writes them: a conversation's
    messages share a page or two and conversations of the same day are neighbours. `shuffled` keeps the
    layout of earlier runs (the planner's join order: a conversation's 10 messages on 10 distant pages,
    days interleaved), which makes every index-driven delete touch several times more pages; the floor
    reads whole tables either way."""
    expired = expired_messages // PER_CONVERSATION
    live = max(1, expired // 5)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        # Expired: closed between 2025-01-01 and 2025-05-31 (spread over 5 months); live: May 2027.
        conn.execute(
            text(
                """
                INSERT INTO conversation_conversation (id, access_token_hash, subject_id, channel, language,
                    status, authenticated, had_advisor, complaint, advisory, deleted_by_customer, advisor_id,
                    failed_turns, next_seq, created_at, queued_at, taken_at, closed_at, last_message_at)
                SELECT 'c' || g, md5(g::text), NULL, 'chat', 'nb', 'closed', false, false, false, false,
                    false, NULL, 0, 11, t, NULL, NULL, t + interval '10 minutes', t + interval '9 minutes'
                FROM (SELECT g, CASE WHEN g <= :expired
                        THEN timestamptz '2025-01-01' + (g % 150) * interval '1 day'
                        ELSE timestamptz '2027-05-20' + (g % 7) * interval '1 day' END AS t
                      FROM generate_series(1, :total) AS g) s
                ORDER BY CASE WHEN :shuffled THEN 0 ELSE extract(epoch FROM t) END, g
                """
            ),
            {"expired": expired, "total": expired + live, "shuffled": shuffled},
        )
        conn.execute(
            text(
                """
                INSERT INTO conversation_message (id, conversation_id, seq, author, author_id, text, topic,
                    confidence, generated, created_at)
                SELECT 'm' || c.n || '-' || k, c.id, k, CASE WHEN k % 2 = 1 THEN 'customer' ELSE 'bot' END,
                    NULL, 'Hei, jeg lurer på når kortet mitt kommer i posten? Melding nummer ' || k, NULL,
                    NULL, false, c.created_at + k * interval '30 seconds'
                FROM (SELECT id, substr(id, 2)::bigint AS n, created_at FROM conversation_conversation) c,
                     generate_series(1, 10) AS k
                ORDER BY CASE WHEN :shuffled THEN 0 ELSE extract(epoch FROM c.created_at) END, c.n, k
                """
            ),
            {"shuffled": shuffled},
        )
        for n, (purpose, keep) in enumerate((("chatbot", "0 days"), ("chatbot_improvement", "1 year"))):
            conn.execute(
                text(
                    f"""
                    INSERT INTO retention_hold (id, record_type, record_id, subject_id, purpose, rule_index,
                        action, expires_at, created_at, updated_at, ended_reason)
                    SELECT 'h{n}-' || id, 'conversation', id, NULL, '{purpose}', 0, 'delete',
                        closed_at + interval '{keep}', created_at, created_at, NULL
                    FROM conversation_conversation
                    """
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _partition(url: str) -> None:
    """Re-create conversation_message and retention_hold as monthly range partitions, same rows."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for table, key, pk in (
            ("conversation_message", "created_at", "id, created_at"),
            ("retention_hold", "expires_at", "id, expires_at"),
        ):
            conn.execute(text(f"ALTER TABLE {table} RENAME TO {table}_old"))
            conn.execute(
                text(f"CREATE TABLE {table} (LIKE {table}_old INCLUDING DEFAULTS) PARTITION BY RANGE ({key})")
            )
            bounds = conn.execute(
                text(f"SELECT date_trunc('month', min({key})), max({key}) FROM {table}_old")
            ).one()
            month = bounds[0]
            while month <= bounds[1]:
                nxt = conn.execute(text("SELECT :m + interval '1 month'"), {"m": month}).scalar_one()
                name = f"{table}_{month:%Y%m}"
                conn.execute(
                    text(f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM ('{month}') TO ('{nxt}')")
                )
                month = nxt
            conn.execute(text(f"INSERT INTO {table} SELECT * FROM {table}_old"))
            conn.execute(text(f"DROP TABLE {table}_old CASCADE"))
            conn.execute(text(f"ALTER TABLE {table} ADD PRIMARY KEY ({pk})"))
        conn.execute(text("CREATE INDEX ON conversation_message (conversation_id)"))
        conn.execute(text("CREATE INDEX ON retention_hold (expires_at)"))
        conn.execute(text("CREATE INDEX ON retention_hold (record_type, record_id, purpose)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _drop_expired_partitions(url: str) -> float:
    """Time to drop every message partition older than the oldest live record (expired months only)."""
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        names = conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'conversation_message' "
                "AND c.relname < 'conversation_message_2027'"
            )
        ).scalars()
        for name in list(names):
            conn.execute(text(f"DROP TABLE {name}"))
    engine.dispose()
    return time.perf_counter() - started


def _exists(name: str) -> bool:
    engine = create_engine(ADMIN_URL)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    engine.dispose()
    return found is not None


def _checkpoint() -> None:
    _admin("CHECKPOINT")


def _floor(url: str) -> float:
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TEMP TABLE gone AS SELECT record_id FROM retention_hold WHERE record_type = "
                "'conversation' GROUP BY record_id HAVING bool_and(expires_at IS NOT NULL) "
                "AND max(expires_at) < :now"
            ),
            {"now": NOW},
        )
        conn.execute(
            text("DELETE FROM conversation_message WHERE conversation_id IN (SELECT record_id FROM gone)")
        )
        conn.execute(text("DELETE FROM conversation_conversation WHERE id IN (SELECT record_id FROM gone)"))
        conn.execute(
            text(
                "DELETE FROM retention_hold WHERE expires_at < :now AND record_id IN "
                "(SELECT record_id FROM gone)"
            ),
            {"now": NOW},
        )
    engine.dispose()
    return time.perf_counter() - started


def _default_batch() -> int:
    from tillit.retention import sweeper

    return sweeper.DEFAULT_BATCH


def _default_batch_rows() -> int:
    from tillit.retention import sweeper

    return sweeper.DEFAULT_BATCH_ROWS


def _run_sweeper_child(url: str) -> dict[str, float]:
    """Run in a fresh process so that peak RSS is the sweeper's own."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            url,
            *(["--batch-size", str(BATCH)] if BATCH else []),
            *(["--batch-rows", str(BATCH_ROWS)] if BATCH_ROWS else []),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _child(url: str, batch_size: int | None, batch_rows: int | None) -> None:
    from tillit.config import Settings
    from tillit.core.clock import FixedClock
    from tillit.retention import sweeper
    from tillit.runtime import Runtime

    runtime = Runtime(
        settings=Settings(database_url=url, secret_key="bench-secret-0123456789abcdef0123", pack="bank"),
        clock=FixedClock(NOW),
    )
    # The policy is parsed and validated before the clock starts: a worker loads it once at start-up,
    # not per sweep. (The engine is created inside, as the floor creates its own.)
    loading = time.perf_counter()
    policy = runtime.policy
    policy_s = time.perf_counter() - loading
    started = time.perf_counter()
    result = sweeper.sweep(
        runtime.uow,
        runtime.engine,
        policy,
        runtime.clock,
        batch_size=batch_size or sweeper.DEFAULT_BATCH,
        batch_rows=batch_rows or sweeper.DEFAULT_BATCH_ROWS,
    )
    seconds = time.perf_counter() - started
    runtime.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = result.rows()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "policy_s": policy_s,
                "peak_mb": peak_mb,
                "records": result.records,
                "batches": result.batches,
                "messages": rows.get("conversation_message", 0),
            }
        )
    )


def bench(
    expired_messages: int, partitioned: bool, keep: str | None = None, runs: int = 1, shuffled: bool = False
) -> dict[str, object]:
    from tillit.db import migrate

    layout = "_shuffled" if shuffled else ""
    base = f"{keep}_{expired_messages}{layout}" if keep else f"tillit_bench_{uuid.uuid4().hex[:8]}"
    tag = uuid.uuid4().hex[:6]
    clones = [f"{base}_{tag}_sweep", f"{base}_{tag}_floor", f"{base}_{tag}_part", f"{base}_{tag}_drop"]
    fill_s = 0.0
    try:
        if not (keep and _exists(base)):
            _admin(f'CREATE DATABASE "{base}"')
            migrate.upgrade(_url(base))
            t = time.perf_counter()
            _fill(_url(base), expired_messages, shuffled)
            fill_s = time.perf_counter() - t
        sweeps: list[dict[str, float]] = []
        floors: list[float] = []
        for _ in range(runs):
            _admin(f'CREATE DATABASE "{clones[0]}" TEMPLATE "{base}"')
            _admin(f'CREATE DATABASE "{clones[1]}" TEMPLATE "{base}"')
            _checkpoint()
            sweeps.append(_run_sweeper_child(_url(clones[0])))
            _admin(f'DROP DATABASE "{clones[0]}" WITH (FORCE)')
            _checkpoint()
            floors.append(_floor(_url(clones[1])))
            _admin(f'DROP DATABASE "{clones[1]}" WITH (FORCE)')
            print(
                json.dumps(
                    {
                        "sweep_s": sweeps[-1]["seconds"],
                        "floor_s": floors[-1],
                        "policy_s": sweeps[-1]["policy_s"],
                        "batches": sweeps[-1]["batches"],
                    }
                ),
                file=sys.stderr,
                flush=True,
            )
        sweep_s = statistics.median(s["seconds"] for s in sweeps)
        floor_s = statistics.median(floors)
        messages = sweeps[0]["messages"]
        row: dict[str, object] = {
            "expired_messages": expired_messages,
            "fill_s": round(fill_s, 1),
            "runs": runs,
            "sweep_s": round(sweep_s, 1),
            "sweep_rows_per_s": round(messages / sweep_s),
            "peak_mb": round(max(s["peak_mb"] for s in sweeps), 1),
            "batches": sweeps[0]["batches"],
            "floor_s": round(floor_s, 1),
            "floor_rows_per_s": round(messages / floor_s),
            "ratio": round(sweep_s / floor_s, 2),
            "deleted_messages": messages,
            "batch": BATCH or _default_batch(),
            "batch_rows": BATCH_ROWS or _default_batch_rows(),
            "layout": "shuffled" if shuffled else "creation order",
        }
        if partitioned:
            _admin(f'CREATE DATABASE "{clones[2]}" TEMPLATE "{base}"')
            _partition(_url(clones[2]))
            _admin(f'CREATE DATABASE "{clones[3]}" TEMPLATE "{clones[2]}"')
            _checkpoint()
            part = _run_sweeper_child(_url(clones[2]))
            drop_s = _drop_expired_partitions(_url(clones[3]))
            row["partitioned_sweep_s"] = round(part["seconds"], 1)
            row["partition_drop_s"] = round(drop_s, 2)
        return row
    finally:
        for name in clones if keep else [base, *clones]:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--no-partitioned", action="store_true", help="skip the partitioning variant")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--batch-size", type=int, help="records per sweeper transaction (default: the sweeper's)"
    )
    parser.add_argument(
        "--batch-rows", type=int, help="rows per sweeper transaction it aims at (default: the sweeper's)"
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="measure sweeper and floor N times, report medians"
    )
    parser.add_argument("--keep", metavar="NAME", help="keep the filled database as NAME_<size> and reuse it")
    parser.add_argument(
        "--shuffled", action="store_true", help="the earlier fill layout (rows not in creation order)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.batch_size, args.batch_rows)
        return
    global BATCH, BATCH_ROWS
    BATCH = args.batch_size
    BATCH_ROWS = args.batch_rows
    rows = []
    for size in args.sizes:
        row = bench(
            size, partitioned=not args.no_partitioned, keep=args.keep, runs=args.runs, shuffled=args.shuffled
        )
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    headers = list(rows[0])
    print(" | ".join(headers))
    for row in rows:
        print(" | ".join(str(row.get(h, "")) for h in headers))


if __name__ == "__main__":
    main()
