"""Candidates, homes, matches, outbox and inbox.

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
SCHEMA = "matching"


def upgrade() -> None:
    create_plumbing_tables(SCHEMA)
    op.create_table(
        "candidates",
        sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("client_ref", sa.String(80), nullable=False),
        sa.Column("member_id", sa.String(40), nullable=False, index=True),
        sa.Column("profile", JSONB, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "homes",
        sa.Column("home_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("corporation_id", sa.String(40), nullable=False, index=True),
        sa.Column("offer", JSONB, nullable=False),
        sa.Column("contingent_year", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("allocation_round", sa.Integer, nullable=False, server_default="0"),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "matches",
        sa.Column("match_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("home_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("member_id", sa.String(40), nullable=False),
        sa.Column("corporation_id", sa.String(40), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.String(40), nullable=True),
        sa.Column("decline_note", sa.Text, nullable=True),
        sa.Column("tenancy", JSONB, nullable=True),
        sa.Column("explanation", JSONB, nullable=False),
        schema=SCHEMA,
    )
    for name, col in (("uq_open_match_home", "home_id"), ("uq_open_match_case", "case_id")):
        op.create_index(
            name, "matches", [col], unique=True, schema=SCHEMA,
            postgresql_where=sa.text("status IN ('proposed', 'accepted')"),
        )


def downgrade() -> None:
    for table in ("matches", "homes", "candidates", "processed_events", "outbox"):
        op.drop_table(table, schema=SCHEMA)
