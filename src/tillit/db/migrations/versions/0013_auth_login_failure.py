"""auth: failed staff logins, for the login throttle

Revision ID: 0013
Revises: 0002
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tillit.db.base

revision = "0013"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_login_failure",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username_hash", sa.String(length=64), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=True),
        sa.Column("at", tillit.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_login_failure")),
    )
    with op.batch_alter_table("auth_login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_auth_login_failure_at", ["at"], unique=False)
        batch_op.create_index("ix_auth_login_failure_client_hash_at", ["client_hash", "at"], unique=False)
        batch_op.create_index("ix_auth_login_failure_username_hash_at", ["username_hash", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_auth_login_failure_username_hash_at")
        batch_op.drop_index("ix_auth_login_failure_client_hash_at")
        batch_op.drop_index("ix_auth_login_failure_at")

    op.drop_table("auth_login_failure")
