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
`--runs` runs:

- consent: `consent.service.allowed_subject_ids(policy, "simple_marketing", channel, customers)`,
  the SQL the consent ledger builds for any audience;
- campaign: `marketing.service.audience_select` (consent's decision plus "has an address on the
  channel"), kept to its allowed reasons, when the marketing core is present;
- floor: a hand-written statement giving the same set as `consent` (its count is checked to be equal).

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


def _timed(conn: Connection, run: Callable[[Connection], int], runs: int) -> tuple[list[float], int]:
    run(conn)  # warm-up: caches and plan
    times, count = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        count = run(conn)
        times.append(time.perf_counter() - started)
    return times, count


def _count(stmt: Select[Any]) -> Callable[[Connection], int]:
    counted = select(func.count()).select_from(stmt.subquery("audience"))
    return lambda conn: int(conn.execute(counted).scalar_one())


def _floor(channel: str) -> Callable[[Connection], int]:
    params = {"purpose": PURPOSE, "channel": channel}
    return lambda conn: int(conn.execute(text(FLOOR_SQL), params).scalar_one())


def _fetch(stmt: Select[Any]) -> Callable[[Connection], int]:
    return lambda conn: len(conn.execute(stmt).scalars().all())


def _campaign_select(policy: Any, channel: str) -> Select[Any] | None:
    """The marketing core's campaign audience (allowed ids only), if that module exists here."""
    try:
        from tillit.marketing import service as marketing_service
        from tillit.marketing.schemas import CampaignRead, Segment
        from tillit.marketing.service import ALLOWED_REASONS
    except ImportError:
        return None
    campaign = CampaignRead(
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
    decided = marketing_service.audience_select(policy, campaign).subquery("campaign")
    return select(decided.c.subject_id).where(decided.c.reason.in_(sorted(ALLOWED_REASONS)))


def _stats(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"median": statistics.median(ordered), "p95": p95}


def run(n: int, runs: int, fetch: bool) -> dict[str, Any]:
    name = f"tillit_bench_audience_{uuid.uuid4().hex[:10]}"
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    _admin(f'CREATE DATABASE "{name}"')
    try:
        migrate.upgrade(url)
        fill_seconds = _fill(url, n)
        policy = load_pack("bank").policy
        customers = subjects_service.subject_ids_where(kinds=["customer"])
        engine = create_engine(url)
        results: dict[str, Any] = {"subjects": n, "runs": runs, "fill_seconds": fill_seconds, "channels": {}}
        with engine.connect() as conn:
            for channel in CHANNELS:
                consent_stmt = consent_service.allowed_subject_ids(policy, PURPOSE, channel, customers)
                queries: dict[str, Callable[[Connection], int]] = {
                    "floor": _floor(channel),
                    "consent": _count(consent_stmt),
                }
                campaign_stmt = _campaign_select(policy, channel)
                if campaign_stmt is not None:
                    queries["campaign"] = _count(campaign_stmt)
                if fetch:
                    queries["consent_fetch"] = _fetch(consent_stmt)
                row: dict[str, Any] = {}
                for label, query in queries.items():
                    times, count = _timed(conn, query, runs)
                    row[label] = {**_stats(times), "count": count}
                    print(
                        f"  {channel:12} {label:14} {row[label]['median']:.3f}s  ({count:,} subjects)",
                        file=sys.stderr,
                    )
                if row["consent"]["count"] != row["floor"]["count"]:
                    raise SystemExit(
                        f"{channel}: consent and floor disagree: {row['consent']} {row['floor']}"
                    )
                results["channels"][channel] = row
        engine.dispose()
        return results
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _table(results: dict[str, Any]) -> str:
    labels = ["floor", "consent", "campaign", "consent_fetch"]
    lines = [
        f"audience over {results['subjects']:,} subjects, purpose {PURPOSE}, {results['runs']} runs "
        f"(fill {results['fill_seconds']:.0f} s)",
        f"{'channel':12} {'query':14} {'median s':>9} {'p95 s':>8} {'x floor':>8} {'audience':>10}",
    ]
    for channel, row in results["channels"].items():
        floor = row["floor"]["median"]
        for label in labels:
            if label in row:
                r = row[label]
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
    args = parser.parse_args()
    results = run(args.subjects, args.runs, args.fetch)
    print(json.dumps(results, indent=2) if args.json else _table(results))


if __name__ == "__main__":
    main()
