"""Improvement samples carry no personal data and no link to anyone; statistics are counters that add up
on both backends (one atomic upsert per turn)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import inspect, text

from tillit.chatbot import service
from tillit.chatbot.schemas import BotReply
from tillit.core.clock import FixedClock
from tillit.policy.loader import load_pack
from tillit.runtime import Runtime


class _Draw(random.Random):
    """A random source whose draws are fixed, so a test decides whether a turn is sampled."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


PARCEL = load_pack("parcel").policy
BANK = load_pack("bank").policy
QUESTION = (
    "Hei, jeg heter Kari Nordmann, e-post kari.nordmann@example.com, mobil 912 34 567. "
    "Hvor er pakken CP123456785NO?"
)


def _reply(topic: str | None = "track", *, answered: bool = True, handoff: bool = False) -> BotReply:
    return BotReply(
        topic=topic, confidence=0.9, language="nb", text="...", answered=answered, handoff=handoff
    )


def test_a_sampled_question_is_masked_dated_to_the_day_and_linked_to_nothing(runtime: Runtime) -> None:
    clock = FixedClock(datetime(2026, 3, 4, 15, 42, 17, tzinfo=UTC))
    assert service.sample_purpose(PARCEL) is not None and service.sample_purpose(PARCEL).sample_rate == 0.05  # type: ignore[union-attr]
    with runtime.uow.begin() as session:
        assert service.record_turn(session, PARCEL, _reply(), QUESTION, clock, _Draw(0.01))
    with runtime.uow.read() as session:
        samples = service.read_samples(session, pack="parcel")
    assert len(samples) == 1
    masked = str(samples[0]["text"])
    for personal in ("kari.nordmann@example.com", "912 34 567", "CP123456785NO", "Nordmann"):
        assert personal not in masked
    assert "[EMAIL]" in masked and "[PHONE]" in masked and "Hvor er pakken" in masked
    assert samples[0]["topic"] == "track" and samples[0]["day"] == "2026-03-04"
    columns = {c["name"] for c in inspect(runtime.engine).get_columns("chatbot_sample")}
    assert columns == {"id", "pack", "text_masked", "language", "topic", "created_at"}
    with runtime.engine.connect() as conn:
        stored = conn.execute(text("select created_at from chatbot_sample")).scalar_one()
    assert str(stored).startswith("2026-03-04") and "15:42" not in str(stored)


def test_sampling_follows_the_rate_objections_and_policies_without_a_rate(runtime: Runtime) -> None:
    clock = FixedClock(datetime(2026, 3, 4, 12, tzinfo=UTC))
    with runtime.uow.begin() as session:
        assert not service.record_turn(session, PARCEL, _reply(), QUESTION, clock, _Draw(0.05))
        assert not service.record_turn(
            session, PARCEL, _reply(), QUESTION, clock, _Draw(0.0), objections={"chatbot_improvement"}
        )
        assert not service.record_turn(session, BANK, _reply(), QUESTION, clock, _Draw(0.0))
    with runtime.uow.read() as session:
        assert service.read_samples(session) == []
    # about 5 % of many turns, with a seeded random source
    rng = random.Random(42)
    with runtime.uow.begin() as session:
        taken = sum(
            service.record_turn(session, PARCEL, _reply(), "hvor er pakken", clock, rng) for _ in range(2000)
        )
    assert 60 <= taken <= 140


def test_statistics_count_questions_answers_and_handoffs_per_day_language_and_topic(runtime: Runtime) -> None:
    day1 = FixedClock(datetime(2026, 3, 4, 8, tzinfo=UTC))
    day2 = FixedClock(datetime(2026, 3, 5, 8, tzinfo=UTC))
    never = _Draw(0.99)
    with runtime.uow.begin() as session:
        service.record_turn(session, PARCEL, _reply("track"), "hvor er pakken", day1, never)
        service.record_turn(session, PARCEL, _reply("track"), "hvor er pakka", day1, never)
    with runtime.uow.begin() as session:
        service.record_turn(session, PARCEL, _reply(None, answered=False), "asdf", day1, never)
        service.record_turn(session, PARCEL, _reply("human", handoff=True), "menneske", day1, never)
        service.record_turn(session, PARCEL, _reply("track"), "hvor er pakken", day2, never)
    with runtime.uow.read() as session:
        rows = service.read_stats(session, pack="parcel")
    by_key = {(r["day"], r["topic"]): (r["questions"], r["answered"], r["handoffs"]) for r in rows}
    assert by_key == {
        ("2026-03-04", "track"): (2, 2, 0),
        ("2026-03-04", "unknown"): (1, 0, 0),
        ("2026-03-04", "human"): (1, 1, 1),
        ("2026-03-05", "track"): (1, 1, 0),
    }
    assert {r["language"] for r in rows} == {"nb"}


def test_an_objection_to_statistics_skips_the_count(runtime: Runtime) -> None:
    clock = FixedClock(datetime(2026, 3, 4, 8, tzinfo=UTC))
    with runtime.uow.begin() as session:
        service.record_turn(
            session, PARCEL, _reply(), "hvor er pakken", clock, _Draw(0.99), objections={"usage_statistics"}
        )
    with runtime.uow.read() as session:
        assert service.read_stats(session) == []
