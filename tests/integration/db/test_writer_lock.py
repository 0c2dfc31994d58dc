"""SQLite writers take turns across processes, not only across threads (`db.session.WriterLock`)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import text

from tillit.db.session import UnitOfWork, make_engine, make_session_factory

HOLDER = """
import sys
from sqlalchemy import text
from tillit.db.session import UnitOfWork, make_engine, make_session_factory
uow = UnitOfWork(make_session_factory(make_engine(sys.argv[1])))
with uow.begin() as session:
    session.execute(text("INSERT INTO t (who) VALUES ('other process')"))
    print("holding", flush=True)
    sys.stdin.readline()  # until the test says so
"""


def test_a_writer_in_another_process_makes_this_one_wait_for_its_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lock.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY AUTOINCREMENT, who TEXT)"))
    uow = UnitOfWork(make_session_factory(engine))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "holding"
        entered = threading.Event()

        def write() -> None:
            with uow.begin() as session:
                entered.set()
                session.execute(text("INSERT INTO t (who) VALUES ('this process')"))

        writer = threading.Thread(target=write)
        writer.start()
        # Without the cross-process lock the transaction would begin at once (SQLite itself would only
        # block it at its first write).
        assert not entered.wait(0.5), "a second process's writer did not wait for the first"
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
        writer.join(timeout=30)
        assert entered.is_set() and not writer.is_alive()
    finally:
        holder.kill()
        holder.wait()
    with engine.connect() as conn:
        order = list(conn.execute(text("SELECT who FROM t ORDER BY n")).scalars())
    assert order == ["other process", "this process"]
    engine.dispose()


def test_nested_transactions_in_one_thread_do_not_deadlock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    uow = UnitOfWork(make_session_factory(engine))
    with uow.begin() as outer:
        outer.execute(text("INSERT INTO t VALUES (1)"))
        outer.commit()
        with uow.begin() as inner:
            inner.execute(text("INSERT INTO t VALUES (2)"))
    with uow.begin() as again:  # released after the outermost transaction
        again.execute(text("INSERT INTO t VALUES (3)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 3
    assert (tmp_path / "nested.sqlite3-writer.lock").exists()
    engine.dispose()
