"""Forecast (what goes which week) and policy changes (impact first, then recompute in batches)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta

from tests.integration.retention.sweep_helpers import chat, customer
from tillit.core.clock import FixedClock
from tillit.policy.loader import load_file, pack_policy_path
from tillit.policy.schema import Policy
from tillit.retention import forecast
from tillit.retention import service as retention_service
from tillit.runtime import Runtime

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)  # a Thursday
CLOSED = T0 + timedelta(minutes=10)


def shorter_improvement_policy(tmp_path: Path) -> Policy:
    """The bank policy with chatbot improvement cut from one year to six months and the chat archive
    lengthened from three years to four (edited as text: the file's own YAML dialect stays intact)."""
    lines = pack_policy_path("bank").read_text(encoding="utf-8").splitlines(keepends=True)
    current = None
    for n, line in enumerate(lines):
        if line.startswith("  - id: "):
            current = line.split(":", 1)[1].strip()
        elif line.strip().startswith("- keep:"):
            if current == "chatbot_improvement":
                lines[n] = line.replace("P1Y", "P6M")
            elif current == "chat_archive":
                lines[n] = line.replace("P3Y", "P4Y")
    path = tmp_path / "policy.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return load_file(path).policy


def test_forecast_counts_records_in_the_week_their_last_hold_ends(runtime: Runtime) -> None:
    for _ in range(3):
        chat(runtime, T0)
    chat(runtime, T0 + timedelta(days=7))
    with runtime.uow.read() as session:
        rows = forecast.forecast(session, FixedClock(CLOSED + relativedelta(years=1) - timedelta(days=3)), 30)
    due = {(r.purpose, r.week): r.records for r in rows if r.records}
    assert due == {
        ("chatbot_improvement", date(2027, 1, 11)): 3,
        ("chatbot_improvement", date(2027, 1, 18)): 1,
    }
    assert len({r.week for r in rows}) >= 5  # empty weeks are listed too


def test_impact_then_recompute_moves_expiries(runtime: Runtime, tmp_path: Path) -> None:
    new_policy = shorter_improvement_policy(tmp_path)
    bot = chat(runtime, T0)
    logged_in = chat(runtime, T0, subject_id=customer(runtime))
    rows = {r.purpose: r for r in forecast.impact(runtime.uow, new_policy, runtime.clock, batch_size=1)}
    assert (rows["chatbot_improvement"].earlier, rows["chatbot_improvement"].later) == (2, 0)
    assert (rows["chat_archive"].later, rows["chat_archive"].earlier) == (1, 0)
    assert rows["chatbot"].unchanged == 2

    with runtime.uow.read() as session:  # nothing changed yet
        before = {h.purpose: h.expires_at for h in retention_service.holds_for(session, "conversation", bot)}
    assert before["chatbot_improvement"] == CLOSED + relativedelta(years=1)

    assert forecast.recompute(runtime.uow, new_policy, runtime.clock, batch_size=1) == 2
    with runtime.uow.read() as session:
        after = {h.purpose: h.expires_at for h in retention_service.holds_for(session, "conversation", bot)}
        archive = {
            h.purpose: h.expires_at for h in retention_service.holds_for(session, "conversation", logged_in)
        }
    assert after["chatbot_improvement"] == CLOSED + relativedelta(months=6)
    assert archive["chat_archive"] == CLOSED + relativedelta(years=4)
    again = {r.purpose: r for r in forecast.impact(runtime.uow, new_policy, runtime.clock)}
    assert all(r.earlier == r.later == 0 for r in again.values())
