"""audience indexes: identities by kind and subject, restricted subjects

Revision ID: 0012
Revises: 0005
Create Date: 2026-11-21 22:00:00.000000

Why: a campaign audience over 1M subjects asks "has an address on the channel" as an EXISTS semi-join,
which wants `subject_identifier (kind, subject_id)` (an index-only parallel scan of one kind), and
excludes restricted subjects, which a partial index over the few restricted ids answers without a second
full scan of `subject_subject` (docs/performance.md, ## Audience). Both tables are older than every
branch; this revision sits on the consent branch, whose audiences are what it serves, and keeps one head
per branch.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subject_identifier", schema=None) as batch_op:
        batch_op.create_index("ix_subject_identifier_kind_subject_id", ["kind", "subject_id"], unique=False)
    with op.batch_alter_table("subject_subject", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subject_subject_restricted",
            ["id"],
            unique=False,
            postgresql_where=sa.text("restricted IS true"),
            sqlite_where=sa.text("restricted IS 1"),
        )


def downgrade() -> None:
    with op.batch_alter_table("subject_subject", schema=None) as batch_op:
        batch_op.drop_index("ix_subject_subject_restricted")
    with op.batch_alter_table("subject_identifier", schema=None) as batch_op:
        batch_op.drop_index("ix_subject_identifier_kind_subject_id")
