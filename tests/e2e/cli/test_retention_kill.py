"""SIGKILL in the middle of `tillit retention sweep`, then run it again: the end state must equal an
uninterrupted run on an identical copy of the database (same records left, same holds, every record
counted once in the proofs, no half-deleted conversation)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL, TEST_SECRET, create_pg_database, drop_pg_database
from tillit.db import migrate
from tillit.db.base import Base
from tillit.db.models_registry import import_all_models

import_all_models()

EXPIRED, LIVE, MESSAGES = 4000, 1000, 4
NOW = "2027-06-01T00:00:00+00:00"


def _fill(url: str) -> None:
    """Bot-only bank chats: EXPIRED closed in 2025 (every hold ended), LIVE closed in May 2027.

    Written through the models' tables (Core inserts), so timestamps have the format tillit writes."""
    engine = create_engine(url)
    conversations, messages, holds = [], [], []
    for n in range(EXPIRED + LIVE):
        if n < EXPIRED:
            opened = datetime(2025, 1 + n % 5, 10 + n % 9, 10, tzinfo=UTC)
        else:
            opened = datetime(2027, 5, 20 + n % 9, 10, tzinfo=UTC)
        closed = opened + timedelta(minutes=10)
        cid = f"c{n:06d}"
        conversations.append(
            {
                "id": cid,
                "access_token_hash": f"h{n}",
                "channel": "chat",
                "language": "nb",
                "status": "closed",
                "authenticated": False,
                "had_advisor": False,
                "complaint": False,
                "advisory": False,
                "deleted_by_customer": False,
                "failed_turns": 0,
                "next_seq": 5,
                "created_at": opened,
                "closed_at": closed,
                "last_message_at": opened,
            }
        )
        messages += [
            {
                "id": f"m{n}-{k}",
                "conversation_id": cid,
                "seq": k,
                "author": "customer",
                "text": "hei, hvor er kortet mitt?",
                "generated": False,
                "created_at": opened,
            }
            for k in range(1, MESSAGES + 1)
        ]
        for prefix, purpose, expires in (
            ("a", "chatbot", closed),
            ("b", "chatbot_improvement", closed + relativedelta(years=1)),
        ):
            holds.append(
                {
                    "id": f"{prefix}{n}",
                    "record_type": "conversation",
                    "record_id": cid,
                    "purpose": purpose,
                    "rule_index": 0,
                    "action": "delete",
                    "expires_at": expires,
                    "created_at": opened,
                    "updated_at": opened,
                }
            )
    tables = Base.metadata.tables
    with engine.begin() as conn:
        conn.execute(tables["conversation_conversation"].insert(), conversations)
        conn.execute(tables["conversation_message"].insert(), messages)
        conn.execute(tables["retention_hold"].insert(), holds)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def _sweep(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TILLIT_DATABASE_URL": url, "TILLIT_PACK": "bank", "TILLIT_SECRET_KEY": TEST_SECRET}
    return subprocess.Popen(
        [sys.executable, "-m", "tillit.cli", "retention", "sweep", "--now", NOW, "--batch-size", "20"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _state(url: str) -> dict[str, object]:
    engine = create_engine(url)
    with engine.connect() as db:
        conversations = sorted(r[0] for r in db.execute(text("select id from conversation_conversation")))
        per_conversation = Counter(
            r[0] for r in db.execute(text("select conversation_id from conversation_message"))
        )
        holds = sorted(
            (r[0], r[1], str(r[2]))
            for r in db.execute(text("select record_id, purpose, expires_at from retention_hold"))
        )
        proofs: Counter[tuple[str, str]] = Counter()
        rows: Counter[str] = Counter()
        for purpose, action, records, tables in db.execute(
            text("select purpose, action, records, table_counts from retention_proof")
        ):
            proofs[(purpose, action)] += records
            rows.update(json.loads(tables) if isinstance(tables, str) else tables)
    engine.dispose()
    return {
        "conversations": conversations,
        "messages": dict(per_conversation),
        "holds": holds,
        "proofs": dict(proofs),
        "rows": dict(rows),
    }


def _databases(backend: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(killed, clean): two identical databases with the data, on the backend."""
    if backend == "sqlite":
        killed, clean = tmp_path / "killed.sqlite3", tmp_path / "clean.sqlite3"
        migrate.upgrade(f"sqlite:///{killed}")
        _fill(f"sqlite:///{killed}")
        shutil.copyfile(killed, clean)
        yield f"sqlite:///{killed}", f"sqlite:///{clean}"
        return
    killed_url = create_pg_database("tillit_kill")
    clean_url = ""
    try:
        migrate.upgrade(killed_url)
        _fill(killed_url)
        name = make_url(killed_url).database or ""
        clean_url = make_url(killed_url).set(database=f"{name}_c").render_as_string(hide_password=False)
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}_c" TEMPLATE "{name}"'))
        admin.dispose()
        yield killed_url, clean_url
    finally:
        drop_pg_database(killed_url)
        if clean_url:
            drop_pg_database(clean_url)


def _proof_count(url: str) -> int:
    if url.startswith("sqlite"):
        with sqlite3.connect(make_url(url).database or "", timeout=5) as db:
            return int(db.execute("select count(*) from retention_proof").fetchone()[0])
    engine = create_engine(url)
    with engine.connect() as conn:
        value = int(conn.execute(text("select count(*) from retention_proof")).scalar_one())
    engine.dispose()
    return value


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_sigkill_mid_sweep_then_rerun_equals_uninterrupted(backend: str, tmp_path: Path) -> None:
    for killed_url, clean_url in _databases(backend, tmp_path):
        _kill_and_compare(killed_url, clean_url)


def _kill_and_compare(killed_url: str, clean_url: str) -> None:
    process = _sweep(killed_url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if _proof_count(killed_url) >= 5:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the sweep finished before it could be killed; make the data larger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    interrupted = _state(killed_url)
    swept = EXPIRED + LIVE - len(interrupted["conversations"])  # type: ignore[arg-type]
    assert 0 < swept < EXPIRED, "the kill must land mid-way"
    assert set(interrupted["messages"].values()) == {MESSAGES}  # type: ignore[attr-defined]
    assert sum(interrupted["proofs"].values()) == swept  # type: ignore[attr-defined]

    for url in (killed_url, clean_url):
        rerun = _sweep(url)
        _out, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, err
    resumed, clean = _state(killed_url), _state(clean_url)
    assert resumed == clean
    assert len(clean["conversations"]) == LIVE  # type: ignore[arg-type]
    assert clean["proofs"] == {("chatbot_improvement", "delete"): EXPIRED}
    assert clean["rows"]["conversation_message"] == EXPIRED * MESSAGES  # type: ignore[index]
