"""Trajectories, outbox and inbox.

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
SCHEMA = "aftercare"


def upgrade() -> None:
    create_plumbing_tables(SCHEMA)
    op.create_table(
        "trajectories",
        sa.Column("trajectory_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("case_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("client_ref", sa.String(80), nullable=False, index=True),
        sa.Column("member_id", sa.String(40), nullable=False, index=True),
        sa.Column("corporation_id", sa.String(40), nullable=False, index=True),
        sa.Column("home_id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenancy_start", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("contract", JSONB, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(30), nullable=True),
        sa.Column("state", JSONB, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("trajectories", "processed_events", "outbox"):
        op.drop_table(table, schema=SCHEMA)
