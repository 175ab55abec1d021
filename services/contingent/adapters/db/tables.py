"""The contingent service's tables: members, yearly contingents, shares and the ledger."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import inbox_table, outbox_table

SCHEMA = "contingent"
metadata = sa.MetaData(schema=SCHEMA)

members = sa.Table(
    "members",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

contingents = sa.Table(
    "contingents",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("total_homes", sa.Integer, nullable=False),
    sa.Column("method", sa.String(30), nullable=False),
    sa.Column("min_per_member", sa.Integer, nullable=False),
    sa.Column("cap_at_need", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # open | closed
    sa.Column("ties", JSONB, nullable=False),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
)

shares = sa.Table(
    "shares",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("need", sa.Integer, nullable=False),
    sa.Column("share", sa.Integer, nullable=False),
)

# Append-only: every allocation, release and consumption, traceable to its event.
ledger = sa.Table(
    "ledger",
    metadata,
    sa.Column("entry_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("year", sa.Integer, nullable=False, index=True),
    sa.Column("home_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),  # allocated | released | consumed
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
)

# The stored explanation of every allocation decision.
allocations = sa.Table(
    "allocations",
    metadata,
    sa.Column("home_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("round", sa.Integer, primary_key=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("member_id", sa.String(40), nullable=True),
    sa.Column("explanation", JSONB, nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
