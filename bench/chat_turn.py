"""Benchmark: a full chat turn over HTTP beside a one-row insert, on SQLite and on PostgreSQL.

    .venv/bin/python bench/chat_turn.py                      # both backends, the defaults below
    .venv/bin/python bench/chat_turn.py --backends postgres --duration 30 --think 1

For each backend it prepares its own database (a temporary SQLite file; a uniquely named PostgreSQL
database at 127.0.0.1:5432 that it drops afterwards), loads the parcel demo pack into it (policy, the
shipments dataset), starts real servers as subprocesses (`tillit serve --workers N` on a free 127.0.0.1
port: 1 process on SQLite, the embedded mode, and 2 on PostgreSQL) and drives them with
`--conversations` concurrent customers, each with its own `httpx.AsyncClient` and keep-alive
connection as each browser has (one client pooling 100 connections spent most of its CPU scanning its
pool on every request, and capped what was measured at the client's speed), each bounded by
`--duration` seconds and `--max-requests` requests per phase:

- **baseline**: `POST /api/v1/bench/baseline`, one row inserted in its own transaction (mounted only
  with `TILLIT_BENCH_ENDPOINTS=true` in demo mode, see `tillit.bench_endpoints`);
- **turn**: `POST /api/v1/chat/{id}/messages`, the whole turn: HTTP in, access check, the customer's
  message stored with its holds, language detection and intent classification, the tracking action
  (a purpose-checked, audited read of the shipments dataset) for one message in three, the bot's reply
  stored with its holds, statistics and the improvement sample, one commit, the JSON reply. Each
  customer starts a conversation (not timed), sends `--turns` messages in a mix of the pack's four
  languages, then starts a new one.

`--think S` makes each customer pause a random 0.5-1.5 x S seconds between requests, as people do in a
chat, and arrive at a random moment within the first S seconds; 0 (closed loop, every customer sends as
soon as it has its answer) measures the saturation throughput, where latency is simply concurrency /
throughput (Little's law). A 5-second warm-up (the servers train their chatbot at start-up) is run and
discarded before each phase. "server CPU ms/req" is the user + system CPU time of the server processes
(from /proc) per answered request: the servers' own cost, which other load on the machine does not
inflate (the PostgreSQL backends' CPU is not in it). "client CPU" is this process's CPU time over the
phase's duration: near 100% the load generator, not the server, sets the pace. Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("TILLIT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret-key-not-for-production-0123456789"
PACK = "parcel"
TOKEN_HEADER = "X-Conversation-Token"
MESSAGES = (
    "Var är mitt paket {tn}?",
    "Vad kostar det att skicka ett paket till Norge?",
    "hvor mye koster det a sende en pakke",
    "Where is my parcel {tn}",
    "Can I change the delivery address of my parcel?",
    "Hvornår har I åbent i weekenden?",
    "hvor er pakka mi {tn}",
    "do i have to pay customs for a parcel from the usa",
    "Mitt paket har kommit fram trasigt, vad gör jag?",
)


@dataclass
class Phase:
    backend: str
    servers: int
    endpoint: str
    think: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    def row(self) -> dict[str, object]:
        ordered = sorted(self.latencies_ms)
        count = len(ordered)

        def pct(p: float) -> float:
            return ordered[min(count - 1, int(p * count))] if count else float("nan")

        return {
            "backend": self.backend,
            "servers": self.servers,
            "endpoint": self.endpoint,
            "think_s": self.think,
            "requests": count,
            "errors": self.errors,
            "per_s": count / self.seconds if self.seconds else 0.0,
            "p50_ms": statistics.median(ordered) if count else float("nan"),
            "p99_ms": pct(0.99),
            "max_ms": ordered[-1] if count else float("nan"),
            "server_cpu_ms": self.server_cpu_s * 1000 / count if count else float("nan"),
            "client_cpu_share": self.client_cpu_s / self.seconds if self.seconds else 0.0,
        }


# --- databases and servers ------------------------------------------------------------------------------


def _admin(sql: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TILLIT_DATABASE_URL=database_url,
        TILLIT_PACK=PACK,
        TILLIT_DEMO_MODE="true",
        TILLIT_SECRET_KEY=SECRET,
        TILLIT_BENCH_ENDPOINTS="true",
        TILLIT_CHATBOT_WARMUP="true",
        TILLIT_LOG_LEVEL="WARNING",
    )
    return env


def prepare(database_url: str) -> list[str]:
    """Load the parcel demo (migrations, policy version, shipments) and the bench's scratch table; return
    tracking numbers that exist."""
    from tillit.bench_endpoints import create_tables
    from tillit.config import Settings
    from tillit.packs.demo import load_demo
    from tillit.packs.parcel.business import shipments
    from tillit.runtime import build_runtime

    settings = Settings(database_url=database_url, pack=PACK, demo_mode=True, secret_key=SECRET)
    runtime = build_runtime(settings)
    try:
        load_demo(runtime)
        create_tables(runtime)
        with runtime.engine.connect() as conn:
            query = select(shipments.c.tracking_number).where(shipments.c.tracking_number.is_not(None))
            numbers = [str(n) for n in conn.execute(query.limit(300)).scalars()]
    finally:
        runtime.close()
    if not numbers:
        raise SystemExit("the parcel demo has no tracking numbers")
    return numbers


def server_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of `root` and its descendants (the uvicorn supervisor and workers), from
    /proc: the servers' own cost per request, which the machine's other load does not inflate."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        stats[pid] = fields
        children.setdefault(int(fields[1]), []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += (int(stats[pid][11]) + int(stats[pid][12])) / ticks  # utime, stime
        todo.extend(children.get(pid, []))
    return total


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_servers(database_url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """`tillit serve` in its own process group (uvicorn's workers are its children), on a free port."""
    port = _free_port()
    tillit = Path(sys.executable).with_name("tillit")
    command = [str(tillit), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--sweep-every", "0"]
    process = subprocess.Popen(command, env=_env(database_url), start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"tillit serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_servers(process)
    raise SystemExit("tillit serve did not answer within 180 s")


def stop_servers(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- load ---------------------------------------------------------------------------------------------


async def _arrive(think: float, rng: random.Random) -> None:
    """Customers with a think time arrive spread over one think time, not all in the same millisecond
    (a burst of 100 simultaneous first messages is a different benchmark)."""
    if think:
        await asyncio.sleep(rng.uniform(0, think))


async def _pause(think: float, rng: random.Random) -> None:
    if think:
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def _baseline_customer(
    client: httpx.AsyncClient, phase: Phase, stop_at: float, budget: list[int], rng: random.Random
) -> None:
    await _arrive(phase.think, rng)
    while time.monotonic() < stop_at and budget[0] > 0:
        budget[0] -= 1
        started = time.perf_counter()
        try:
            response = await client.post("/api/v1/bench/baseline")
        except httpx.HTTPError:
            phase.errors += 1
            continue
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code == 201:
            phase.latencies_ms.append(elapsed)
        else:
            phase.errors += 1
        await _pause(phase.think, rng)


async def _chat_customer(
    client: httpx.AsyncClient,
    phase: Phase,
    stop_at: float,
    budget: list[int],
    rng: random.Random,
    numbers: list[str],
    turns: int,
) -> None:
    languages = ("sv", "nb", "da", "en")
    await _arrive(phase.think, rng)
    while time.monotonic() < stop_at and budget[0] > 0:
        try:
            started = await client.post("/api/v1/chat", json={"language": rng.choice(languages)})
        except httpx.HTTPError:
            started = httpx.Response(599)
        if started.status_code != 201:
            phase.errors += 1
            await asyncio.sleep(0.1)
            continue
        conversation = started.json()
        headers = {TOKEN_HEADER: conversation["access_token"]}
        for _ in range(turns):
            if time.monotonic() >= stop_at or budget[0] <= 0:
                return
            budget[0] -= 1
            message = rng.choice(MESSAGES).format(tn=rng.choice(numbers))
            began = time.perf_counter()
            try:
                response = await client.post(
                    f"/api/v1/chat/{conversation['id']}/messages", json={"text": message}, headers=headers
                )
            except httpx.HTTPError:
                phase.errors += 1
                continue
            elapsed = (time.perf_counter() - began) * 1000
            ok = response.status_code == 200 and len(response.json()["messages"]) == 2
            if ok:
                phase.latencies_ms.append(elapsed)
            else:
                phase.errors += 1
            await _pause(phase.think, rng)


async def run_phase(
    base: str,
    phase: Phase,
    *,
    server_pid: int,
    customers: int,
    duration: float,
    max_requests: int,
    numbers: list[str],
    turns: int,
) -> None:
    """A discarded 5-second warm-up, then the measured run, each with a fresh client (so no keep-alive
    connection the server has meanwhile closed is reused)."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    for measured in (False, True):
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(httpx.AsyncClient(base_url=base, limits=limits, timeout=60))
                for _ in range(customers)
            ]
            target = phase if measured else Phase(phase.backend, phase.servers, phase.endpoint, phase.think)
            budget = [max_requests]
            stop_at = time.monotonic() + (duration if measured else 5.0)
            rngs = [random.Random(i) for i in range(customers)]
            if phase.endpoint == "baseline":
                work = [
                    _baseline_customer(c, target, stop_at, budget, r)
                    for c, r in zip(clients, rngs, strict=True)
                ]
            else:
                work = [
                    _chat_customer(c, target, stop_at, budget, r, numbers, turns)
                    for c, r in zip(clients, rngs, strict=True)
                ]
            cpu, began = server_cpu_seconds(server_pid), time.monotonic()
            client_cpu = time.process_time()
            # The load generator's own full garbage collections (130 ms with 100 clients) stalled every
            # customer at once, and the burst they then sent showed as the servers' p99: none while
            # measuring, one after.
            gc.disable()
            try:
                await asyncio.gather(*work)
            finally:
                gc.enable()
            target.seconds = time.monotonic() - began
            target.server_cpu_s = server_cpu_seconds(server_pid) - cpu
            target.client_cpu_s = time.process_time() - client_cpu


def bench_backend(backend: str, args: argparse.Namespace) -> list[Phase]:
    name = f"tillit_bench_turn_{uuid.uuid4().hex[:10]}"
    workdir = tempfile.TemporaryDirectory(prefix="tillit-bench-")
    if backend == "postgres":
        _admin(f'CREATE DATABASE "{name}"')
        url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        workers = args.pg_workers
    else:
        url = f"sqlite:///{Path(workdir.name) / 'tillit.sqlite3'}"
        workers = args.sqlite_workers
    phases: list[Phase] = []
    try:
        numbers = prepare(url)
        process, base = start_servers(url, workers)
        try:
            for endpoint in ("baseline", "turn"):
                for think in args.think:
                    phase = Phase(backend, workers, endpoint, think)
                    asyncio.run(
                        run_phase(
                            base,
                            phase,
                            server_pid=process.pid,
                            customers=args.conversations,
                            duration=args.duration,
                            max_requests=args.max_requests,
                            numbers=numbers,
                            turns=args.turns,
                        )
                    )
                    phases.append(phase)
                    print(json.dumps(phase.row()), file=sys.stderr)
        finally:
            stop_servers(process)
    finally:
        if backend == "postgres":
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        workdir.cleanup()
    return phases


def table(phases: list[Phase]) -> str:
    lines = [
        "| backend | servers | endpoint | think s | requests | errors | req/s | p50 ms | p99 ms | max ms "
        "| server CPU ms/req | client CPU |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in phases:
        r = phase.row()
        lines.append(
            f"| {r['backend']} | {r['servers']} | {r['endpoint']} | {r['think_s']:g} | {r['requests']} "
            f"| {r['errors']} | {r['per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
            f"| {r['max_ms']:.1f} | {r['server_cpu_ms']:.1f} | {r['client_cpu_share']:.0%} |"
        )
    rates = {(p.backend, p.endpoint, p.think): p.row()["per_s"] for p in phases}
    lines.append("")
    for (backend, endpoint, think), rate in rates.items():
        base = rates.get((backend, "baseline", think))
        if endpoint == "turn" and base:
            lines.append(
                f"{backend}, think {think:g} s: turn / baseline throughput = {float(rate) / float(base):.2f}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--conversations", type=int, default=100, help="concurrent customers")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per phase")
    parser.add_argument("--max-requests", type=int, default=20000, help="request budget per phase")
    parser.add_argument("--turns", type=int, default=8, help="messages per conversation before a new one")
    parser.add_argument(
        "--think",
        type=float,
        nargs="+",
        default=[0.0, 1.0, 2.0, 10.0],
        help="pause between a customer's requests",
    )
    parser.add_argument("--sqlite-workers", type=int, default=1)
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print JSON rows instead of the table")
    args = parser.parse_args()
    phases: list[Phase] = []
    for backend in args.backends:
        phases.extend(bench_backend(backend, args))
    if args.json:
        print(json.dumps([p.row() for p in phases], indent=2))
    else:
        print(table(phases))


if __name__ == "__main__":
    main()
