"""Members, contingents, shares, ledger, allocations, outbox and inbox.

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
SCHEMA = "contingent"


def upgrade() -> None:
    create_plumbing_tables(SCHEMA)
    op.create_table(
        "members",
        sa.Column("member_id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "contingents",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("total_homes", sa.Integer, nullable=False),
        sa.Column("method", sa.String(30), nullable=False),
        sa.Column("min_per_member", sa.Integer, nullable=False),
        sa.Column("cap_at_need", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("ties", JSONB, nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.create_table(
        "shares",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("member_id", sa.String(40), primary_key=True),
        sa.Column("need", sa.Integer, nullable=False),
        sa.Column("share", sa.Integer, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "ledger",
        sa.Column("entry_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("home_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("member_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "allocations",
        sa.Column("home_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("round", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("member_id", sa.String(40), nullable=True),
        sa.Column("explanation", JSONB, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("allocations", "ledger", "shares", "contingents", "members",
                  "processed_events", "outbox"):
        op.drop_table(table, schema=SCHEMA)
