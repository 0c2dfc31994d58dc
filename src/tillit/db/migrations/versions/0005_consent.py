"""consent: the append-only ledger, notice texts, the current-state projection

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-21 21:10:00.000000

Besides the tables, a trigger on each backend refuses UPDATE of `consent_event` and
`consent_notice_text`: the ledger is append-only (DESIGN §4) even for code that bypasses the service.
Deleting stays possible, because retention deletes consent records whose last hold ended.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tillit.db.base

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ("consent_event", "consent_notice_text")


def upgrade() -> None:
    op.create_table(
        "consent_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("visitor_id", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("scope", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("notice_text_sha256", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", tillit.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(subject_id IS NULL) <> (visitor_id IS NULL)", name=op.f("ck_consent_event_subject_or_visitor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_event")),
    )
    with op.batch_alter_table("consent_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_event_subject_id_occurred_at", ["subject_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_consent_event_visitor_id_occurred_at", ["visitor_id", "occurred_at"], unique=False
        )

    op.create_table(
        "consent_notice_text",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", tillit.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_consent_notice_text")),
    )
    op.create_table(
        "consent_state",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("visitor_id", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("since", tillit.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_event_id", sa.String(length=36), nullable=False),
        sa.Column("last_used_at", tillit.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", tillit.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tillit.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(subject_id IS NULL) <> (visitor_id IS NULL)", name=op.f("ck_consent_state_subject_or_visitor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_state")),
        sa.UniqueConstraint("subject_id", "purpose", "channel", "scope", name="uq_consent_state_subject_key"),
        sa.UniqueConstraint("visitor_id", "purpose", "channel", "scope", name="uq_consent_state_visitor_key"),
    )
    with op.batch_alter_table("consent_state", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_state_audience", ["purpose", "channel", "state", "subject_id"], unique=False
        )

    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("consent_state", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_state_audience")

    op.drop_table("consent_state")
    op.drop_table("consent_notice_text")
    with op.batch_alter_table("consent_event", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_event_visitor_id_occurred_at")
        batch_op.drop_index("ix_consent_event_subject_id_occurred_at")

    op.drop_table("consent_event")


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION consent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: rows are never updated in place', TG_TABLE_NAME;
            END;
            $$
            """
        )
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION consent_append_only()"
            )
        return
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows are never updated in place'); END"
        )


def _drop_append_only_triggers() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS consent_append_only()")
