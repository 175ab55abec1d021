"""Intakes, outbox and inbox.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.migrations import create_plumbing_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None
SCHEMA = "intake"


def upgrade() -> None:
    create_plumbing_tables(SCHEMA)
    op.create_table(
        "intakes",
        sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("member_id", sa.String(40), nullable=False, index=True),
        sa.Column("caseworker", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("client_ref", sa.String(80), nullable=False, index=True),
        sa.Column("personal", JSONB, nullable=True),
        sa.Column("profile", JSONB, nullable=False),
        sa.Column("details", JSONB, nullable=False),
        sa.Column("notes", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("intakes", schema=SCHEMA)
    op.drop_table("processed_events", schema=SCHEMA)
    op.drop_table("outbox", schema=SCHEMA)
