"""Benchmark: a marketing audience over 1 million subjects on PostgreSQL, beside hand-written SQL (the floor).

    .venv/bin/python bench/audience.py                     # 1,000,000 subjects, 5 runs per query
    .venv/bin/python bench/audience.py --subjects 200000 --runs 3 --json

It creates its own database (dropped afterwards), runs the migrations (`tillit.db.migrate.upgrade`) and
fills it with set-based SQL (`generate_series`): N customers (0.1 % restricted), their identities (a
customer number each, an e-mail for 95 %, a phone for 80 %; random bytes stand in for the ciphertexts)
and consent states for the bank's `simple_marketing` purpose (legitimate interests, opt-out per channel):
8 % opted out of every channel, 6 % of SMS, 6 % of e-mail, 3 % of online-bank messages, 2 % objected,
1 % opted out of everything and back in for SMS. Then ANALYZE.

For each of three channels (sms, email, online_bank) it times, on a warm cache, median and p95 of
`--runs` runs, the queries' runs interleaved:

- consent: `consent.service.allowed_subject_ids(policy, "simple_marketing", channel, customers)`,
  the SQL the consent ledger builds for any audience;
- floor: a hand-written statement giving the same set as `consent` (its count is checked to be equal);
- campaign: `marketing.service.reached_select`, the ids a campaign's send queues (segment x consent x
  restriction x "has an address on the channel"), when the marketing core is present;
- campaign_floor: a hand-written statement giving the same set as `campaign` (counts checked equal);
- dry_run: counts per reason of `marketing.service.audience_select` (every candidate with its reason,
  `no_address` included), grouped in SQL; its allowed total is checked equal to the campaign floor's.

`campaign` and `dry_run` are compared with `campaign_floor`, the others with `floor`.

`--db NAME` keeps the database under that name, and reuses it when it exists (migrated to the newest
indexes and analysed, not filled again): iterating on a query then costs seconds instead of a fill.

Each query is timed as `SELECT count(*) FROM (<audience>)` (the database computes the whole set; no
million rows cross the wire) and, with `--fetch`, also as fetching every id to Python.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, create_engine, func, select, text
from sqlalchemy.engine import Connection, make_url

from tillit.consent import service as consent_service
from tillit.db import migrate
from tillit.policy.loader import load_pack
from tillit.subjects import service as subjects_service

ADMIN_URL = os.environ.get("TILLIT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 6, 1, tzinfo=UTC)
PURPOSE = "simple_marketing"
CHANNELS = ("sms", "email", "online_bank")

FLOOR_SQL = """
SELECT count(*) FROM subject_subject s
LEFT JOIN consent_state o
  ON o.subject_id = s.id AND o.purpose = :purpose AND o.channel = :channel AND o.scope = ''
LEFT JOIN consent_state g
  ON g.subject_id = s.id AND g.purpose = :purpose AND g.channel = '*' AND g.scope = ''
WHERE s.kind = 'customer' AND NOT s.restricted
  AND COALESCE(o.state, g.state, '') NOT IN ('opted_out', 'objected')
"""

CAMPAIGN_FLOOR_SQL = (
    FLOOR_SQL
    + """  AND EXISTS (SELECT 1 FROM subject_identifier i WHERE i.subject_id = s.id AND i.kind = :address)
"""
)
"""The floor of a campaign: the consent floor kept to customers holding an identity of the channel's
address kind (`marketing.rules.CHANNEL_ADDRESS`)."""

FILL_SQL = [
    # subjects: deterministic uuid-shaped ids from md5(n)
    """
    INSERT INTO subject_subject (id, kind, language, display_name_enc, restricted, created_at, last_seen_at)
    SELECT md5(g::text)::uuid::text, 'customer', CASE WHEN g % 5 = 0 THEN 'en' ELSE 'nb' END, NULL,
           g % 1000 = 7, :now, NULL
    FROM generate_series(1, :n) AS g
    """,
    """
    INSERT INTO subject_identifier (id, subject_id, kind, value_enc, value_hash, created_at)
    SELECT md5('cn' || g)::uuid::text, md5(g::text)::uuid::text, 'customer_number',
           decode(md5('v' || g), 'hex'), md5('hcn' || g) || md5('x' || g), :now
    FROM generate_series(1, :n) AS g
    UNION ALL
    SELECT md5('em' || g)::uuid::text, md5(g::text)::uuid::text, 'email',
           decode(md5('e' || g), 'hex'), md5('hem' || g) || md5('y' || g), :now
    FROM generate_series(1, :n) AS g WHERE g % 20 <> 3
    UNION ALL
    SELECT md5('ph' || g)::uuid::text, md5(g::text)::uuid::text, 'phone',
           decode(md5('p' || g), 'hex'), md5('hph' || g) || md5('z' || g), :now
    FROM generate_series(1, :n) AS g WHERE g % 5 <> 1
    """,
    # consent states: (channel, state, which subjects) for simple_marketing
    """
    INSERT INTO consent_state (id, subject_id, visitor_id, purpose, channel, scope, state, since,
                               last_event_id, last_used_at, withdrawn_at, created_at)
    SELECT md5(c.tag || g)::uuid::text, md5(g::text)::uuid::text, NULL, :purpose, c.channel, '', c.state,
           :now, md5('ev' || c.tag || g)::uuid::text, NULL,
           CASE WHEN c.state IN ('opted_out', 'objected') THEN CAST(:now AS timestamptz) END, :now
    FROM generate_series(1, :n) AS g
    JOIN (VALUES ('a', '*', 'opted_out', 0, 8), ('b', 'sms', 'opted_out', 8, 14),
                 ('c', 'email', 'opted_out', 14, 20), ('d', 'online_bank', 'opted_out', 20, 23),
                 ('e', '*', 'objected', 23, 25), ('f', '*', 'opted_out', 25, 26),
                 ('g', 'sms', 'opted_in', 25, 26))
      AS c(tag, channel, state, lo, hi) ON g % 100 >= c.lo AND g % 100 < c.hi
    """,
]


def _admin(sql: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _fill(url: str, n: int) -> float:
    started = time.perf_counter()
    engine = create_engine(url)
    with engine.begin() as conn:
        for sql in FILL_SQL:
            conn.execute(text(sql), {"n": n, "now": NOW, "purpose": PURPOSE})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def _timed(
    conn: Connection, queries: dict[str, Callable[[Connection], int]], runs: int
) -> dict[str, tuple[list[float], int]]:
    """Time every query `runs` times, interleaved (run 1 of each, then run 2 of each...), after one
    warm-up each: on a machine shared with other work the load drifts within minutes, and timing all
    runs of the floor before all runs of the product made their ratio follow the drift."""
    counts = {label: run(conn) for label, run in queries.items()}  # warm-up: caches and plans
    times: dict[str, list[float]] = {label: [] for label in queries}
    for _ in range(runs):
        for label, run in queries.items():
            started = time.perf_counter()
            counts[label] = run(conn)
            times[label].append(time.perf_counter() - started)
    return {label: (times[label], counts[label]) for label in queries}


def _count(stmt: Select[Any]) -> Callable[[Connection], int]:
    counted = select(func.count()).select_from(stmt.subquery("audience"))
    return lambda conn: int(conn.execute(counted).scalar_one())


def _floor(channel: str) -> Callable[[Connection], int]:
    params = {"purpose": PURPOSE, "channel": channel}
    return lambda conn: int(conn.execute(text(FLOOR_SQL), params).scalar_one())


def _campaign_floor(channel: str, address: str) -> Callable[[Connection], int]:
    params = {"purpose": PURPOSE, "channel": channel, "address": address}
    return lambda conn: int(conn.execute(text(CAMPAIGN_FLOOR_SQL), params).scalar_one())


def _fetch(stmt: Select[Any]) -> Callable[[Connection], int]:
    return lambda conn: len(conn.execute(stmt).scalars().all())


def _campaign(channel: str) -> Any:
    from tillit.marketing.schemas import CampaignRead, Segment

    return CampaignRead(
        id="bench",
        name="bench",
        kind="marketing",
        purpose=PURPOSE,
        channel=channel,
        segment=Segment(),
        content={},
        status="draft",
        created_by="bench",
        created_at=NOW,
        sent_at=None,
    )


def _campaign_queries(policy: Any, channel: str, customers: int) -> dict[str, Callable[[Connection], int]]:
    """The marketing core's campaign audience, if that module exists here: `campaign_floor` (hand-written),
    `campaign` (`marketing.service.reached_select`, the ids a send queues) and `dry_run` (counts per
    reason of `marketing.service.audience_select`, grouped in SQL; its count is the allowed total)."""
    try:
        from tillit.marketing import rules as marketing_rules
        from tillit.marketing import service as marketing_service
    except ImportError:
        return {}
    campaign = _campaign(channel)
    decided = marketing_service.audience_select(policy, campaign).subquery("campaign")
    by_reason = select(decided.c.reason, func.count()).group_by(decided.c.reason)
    allowed = marketing_service.ALLOWED_REASONS

    def dry_run(conn: Connection) -> int:
        counts = {str(r): int(n) for r, n in conn.execute(by_reason)}
        if sum(counts.values()) != customers:
            raise SystemExit(f"{channel}: dry run does not cover every candidate: {counts}")
        return sum(n for r, n in counts.items() if r in allowed)

    return {
        "campaign_floor": _campaign_floor(channel, marketing_rules.CHANNEL_ADDRESS[channel]),
        "campaign": _count(marketing_service.reached_select(policy, campaign)),
        "dry_run": dry_run,
    }


def n_customers(conn: Connection) -> int:
    return int(
        conn.execute(text("SELECT count(*) FROM subject_subject WHERE kind = 'customer'")).scalar_one()
    )


def _stats(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"median": statistics.median(ordered), "p95": p95}


def _exists(name: str) -> bool:
    engine = create_engine(ADMIN_URL)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    engine.dispose()
    return found is not None


def _prepare(url: str, name: str, n: int, reuse: bool) -> float:
    """Create, migrate and fill the database; with `reuse` an existing filled one is only migrated (new
    indexes) and analysed, so iterating on a query does not pay the 1M fill (8 minutes here) each time."""
    if reuse and _exists(name):
        migrate.upgrade(url)
        engine = create_engine(url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            have = int(conn.execute(text("SELECT count(*) FROM subject_subject")).scalar_one())
            if have != n:
                raise SystemExit(
                    f"database {name} holds {have:,} subjects, not {n:,}: drop it or use another"
                )
            conn.execute(text("VACUUM ANALYZE"))
        engine.dispose()
        return 0.0
    _admin(f'CREATE DATABASE "{name}"')
    migrate.upgrade(url)
    return _fill(url, n)


def run(n: int, runs: int, fetch: bool, db: str | None = None) -> dict[str, Any]:
    name = db or f"tillit_bench_audience_{uuid.uuid4().hex[:10]}"
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        fill_seconds = _prepare(url, name, n, reuse=db is not None)
        policy = load_pack("bank").policy
        customers = subjects_service.subject_ids_where(kinds=["customer"])
        engine = create_engine(url)
        results: dict[str, Any] = {"subjects": n, "runs": runs, "fill_seconds": fill_seconds, "channels": {}}
        with engine.connect() as conn:
            n_customers = int(
                conn.execute(
                    text("SELECT count(*) FROM subject_subject WHERE kind = 'customer'")
                ).scalar_one()
            )
            for channel in CHANNELS:
                consent_stmt = consent_service.allowed_subject_ids(policy, PURPOSE, channel, customers)
                queries: dict[str, Callable[[Connection], int]] = {
                    "floor": _floor(channel),
                    "consent": _count(consent_stmt),
                }
                queries.update(_campaign_queries(policy, channel, n_customers))
                if fetch:
                    queries["consent_fetch"] = _fetch(consent_stmt)
                row: dict[str, Any] = {}
                for label, (times, count) in _timed(conn, queries, runs).items():
                    row[label] = {**_stats(times), "count": count}
                    print(
                        f"  {channel:12} {label:14} {row[label]['median']:.3f}s  ({count:,} subjects)",
                        file=sys.stderr,
                    )
                if row["consent"]["count"] != row["floor"]["count"]:
                    raise SystemExit(
                        f"{channel}: consent and floor disagree: {row['consent']} {row['floor']}"
                    )
                for label in ("campaign", "dry_run"):
                    if label in row and row[label]["count"] != row["campaign_floor"]["count"]:
                        raise SystemExit(
                            f"{channel}: {label} and campaign floor disagree: "
                            f"{row[label]} {row['campaign_floor']}"
                        )
                results["channels"][channel] = row
        engine.dispose()
        return results
    finally:
        if db is None:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _table(results: dict[str, Any]) -> str:
    labels = ["floor", "consent", "consent_fetch", "campaign_floor", "campaign", "dry_run"]
    lines = [
        f"audience over {results['subjects']:,} subjects, purpose {PURPOSE}, {results['runs']} runs "
        f"(fill {results['fill_seconds']:.0f} s)",
        f"{'channel':12} {'query':14} {'median s':>9} {'p95 s':>8} {'x floor':>8} {'audience':>10}",
    ]
    for channel, row in results["channels"].items():
        for label in labels:
            if label in row:
                r = row[label]
                floor = row["campaign_floor" if label in ("campaign", "dry_run") else "floor"]["median"]
                lines.append(
                    f"{channel:12} {label:14} {r['median']:9.3f} {r['p95']:8.3f} "
                    f"{r['median'] / floor:8.2f} {r['count']:10,}"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fetch", action="store_true", help="also time fetching every id to Python")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--db",
        metavar="NAME",
        help="keep the database under this name and reuse it when it exists (only migrated and analysed)",
    )
    args = parser.parse_args()
    results = run(args.subjects, args.runs, args.fetch, args.db)
    print(json.dumps(results, indent=2) if args.json else _table(results))


if __name__ == "__main__":
    main()
