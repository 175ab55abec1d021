"""The contingent service's tables (schema `contingent`), as migrations 0001 and 0002 leave them.

- `members`: the association's member organisations; one that leaves keeps its row.
- `contingents`, `shares`: one row per year, one line per member (declared need, need carried
  over from a closed year, current share, when it left).
- `ledger`: append-only, numbered per year (`sequence`), every line traceable to its event.
- `allocations`: the stored explanation of every allocation decision, one per home and round.
- `redistributions`, `closed_balances`: the record of redistributions and of the year's close.
"""

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
    sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
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
    sa.Column("unallocated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("carried_over_from", sa.Integer, nullable=True),
    sa.Column("pledges", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("closed_in_flight", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    # A new random id with every write of the year (repository.py: YearCache)
    sa.Column("revision", UUID(as_uuid=True), nullable=True),
)

shares = sa.Table(
    "shares",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("need", sa.Integer, nullable=False),  # declared need
    sa.Column("share", sa.Integer, nullable=False),
    sa.Column("carried_over", sa.Integer, nullable=False, server_default="0"),
    sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
)

ledger = sa.Table(
    "ledger",
    metadata,
    sa.Column("entry_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("year", sa.Integer, nullable=False, index=True),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("home_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),  # allocated | released | consumed
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("event_type", sa.String(40), nullable=True),
    sa.Column("round", sa.Integer, nullable=True),
    sa.Column("corporation_id", sa.String(40), nullable=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("year", "sequence", name="uq_ledger_year_sequence"),
)

allocations = sa.Table(
    "allocations",
    metadata,
    sa.Column("home_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("round", sa.Integer, primary_key=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("member_id", sa.String(40), nullable=True),
    sa.Column("explanation", JSONB, nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=True),
)

redistributions = sa.Table(
    "redistributions",
    metadata,
    sa.Column("redistribution_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("year", sa.Integer, nullable=False, index=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    # The ledger's length when the redistribution was computed: its figures follow from
    # entries 1..after_entry, and every later entry was applied to the new shares.
    sa.Column("after_entry", sa.Integer, nullable=False),
    sa.Column("pool", sa.Integer, nullable=False),
    sa.Column("unallocated", sa.Integer, nullable=False),
    sa.Column("unmet_need", JSONB, nullable=False),
    sa.Column("shares_before", JSONB, nullable=False),
    sa.Column("shares_after", JSONB, nullable=False),
    sa.Column("ties", JSONB, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)

closed_balances = sa.Table(
    "closed_balances",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("need", sa.Integer, nullable=False),
    sa.Column("share", sa.Integer, nullable=False),
    sa.Column("used", sa.Integer, nullable=False),
    sa.Column("balance", sa.Integer, nullable=False),
    sa.Column("unused", sa.Integer, nullable=False),
    sa.Column("overrun", sa.Integer, nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
