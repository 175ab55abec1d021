"""The whole contingent aggregate: ledger numbering and traces, carry-over, members leaving,
pledges, redistributions and closed-year balances.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None
SCHEMA = "contingent"


def _add(table: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    for column in columns:
        op.add_column(table, column, schema=SCHEMA)


def upgrade() -> None:
    _add("members", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    _add(
        "contingents",
        sa.Column("unallocated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("carried_over_from", sa.Integer, nullable=True),
        sa.Column("pledges", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("closed_in_flight", JSONB, nullable=False,
                  server_default=sa.text("'[]'::jsonb")),
    )
    _add(
        "shares",
        sa.Column("carried_over", sa.Integer, nullable=False, server_default="0"),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
    )
    _add(
        "ledger",
        sa.Column("sequence", sa.Integer, nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("event_type", sa.String(40), nullable=True),
        sa.Column("round", sa.Integer, nullable=True),
        sa.Column("corporation_id", sa.String(40), nullable=True),
    )
    # Entries written before 0002 are numbered per year in the order they were written.
    op.execute(
        f"UPDATE {SCHEMA}.ledger AS l SET sequence = n.seq FROM ("
        f"  SELECT entry_id, row_number() OVER (PARTITION BY year ORDER BY entry_id) AS seq"
        f"  FROM {SCHEMA}.ledger) AS n WHERE l.entry_id = n.entry_id"
    )
    op.alter_column("ledger", "sequence", nullable=False, schema=SCHEMA)
    op.create_unique_constraint("uq_ledger_year_sequence", "ledger", ["year", "sequence"],
                                schema=SCHEMA)
    op.create_index("ix_ledger_year_member", "ledger", ["year", "member_id"], schema=SCHEMA)
    _add("allocations", sa.Column("event_id", UUID(as_uuid=True), nullable=True))
    op.create_index("ix_allocations_year_home", "allocations", ["year", "home_id"],
                    schema=SCHEMA)
    op.create_table(
        "redistributions",
        sa.Column("redistribution_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("after_entry", sa.Integer, nullable=False),
        sa.Column("pool", sa.Integer, nullable=False),
        sa.Column("unallocated", sa.Integer, nullable=False),
        sa.Column("unmet_need", JSONB, nullable=False),
        sa.Column("shares_before", JSONB, nullable=False),
        sa.Column("shares_after", JSONB, nullable=False),
        sa.Column("ties", JSONB, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        schema=SCHEMA,
    )
    op.create_table(
        "closed_balances",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("member_id", sa.String(40), primary_key=True),
        sa.Column("need", sa.Integer, nullable=False),
        sa.Column("share", sa.Integer, nullable=False),
        sa.Column("used", sa.Integer, nullable=False),
        sa.Column("balance", sa.Integer, nullable=False),
        sa.Column("unused", sa.Integer, nullable=False),
        sa.Column("overrun", sa.Integer, nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("closed_balances", schema=SCHEMA)
    op.drop_table("redistributions", schema=SCHEMA)
    op.drop_index("ix_allocations_year_home", "allocations", schema=SCHEMA)
    op.drop_column("allocations", "event_id", schema=SCHEMA)
    op.drop_index("ix_ledger_year_member", "ledger", schema=SCHEMA)
    op.drop_constraint("uq_ledger_year_sequence", "ledger", schema=SCHEMA)
    for column in ("corporation_id", "round", "event_type", "note", "sequence"):
        op.drop_column("ledger", column, schema=SCHEMA)
    for column in ("left_at", "carried_over"):
        op.drop_column("shares", column, schema=SCHEMA)
    for column in ("closed_in_flight", "pledges", "carried_over_from", "unallocated"):
        op.drop_column("contingents", column, schema=SCHEMA)
    op.drop_column("members", "deactivated_at", schema=SCHEMA)
