"""The chatbot's own tables: improvement samples and usage statistics, both free of personal data.

Neither table has a column that links a row to a conversation, a message or a customer: that is the
promise the notices make ("stored with no link to you or the conversation"), so it is kept by the schema
itself, not by discipline. Samples are dated to the day only, for the same reason: a timestamp to the
second would let anyone who can read the message table find the conversation again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base


class ChatbotSample(Base):
    """A customer question copied for improving the bot, personal data masked (`[EMAIL]`, `[PHONE]`)."""

    __tablename__ = "chatbot_sample"
    __table_args__ = (Index("ix_chatbot_sample_created_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pack: Mapped[str] = mapped_column(String(32))
    text_masked: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    """Midnight UTC of the day the question was asked (deliberately coarse)."""


class ChatbotStat(Base):
    """Counters per day, pack, language and topic (`unknown` when the bot did not understand)."""

    __tablename__ = "chatbot_stat"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    pack: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    questions: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    handoffs: Mapped[int] = mapped_column(Integer, default=0)
