"""The matching service's tables: homes, waiting candidates (pseudonymous), proposals."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import inbox_table, outbox_table

SCHEMA = "matching"
metadata = sa.MetaData(schema=SCHEMA)

candidates = sa.Table(
    "candidates",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("client_ref", sa.String(80), nullable=False),
    sa.Column("member_id", sa.String(40), nullable=False, index=True),
    sa.Column("profile", JSONB, nullable=False),
    # waiting | proposed | housed | withdrawn
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
)

homes = sa.Table(
    "homes",
    metadata,
    sa.Column("home_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("corporation_id", sa.String(40), nullable=False, index=True),
    sa.Column("offer", JSONB, nullable=False),  # the HomeOffered payload
    sa.Column("contingent_year", sa.Integer, nullable=False),
    # waiting (no eligible member) | allocating (asked the contingent) | proposed | let | withdrawn
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("allocation_round", sa.Integer, nullable=False, server_default="0"),
    sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
)

matches = sa.Table(
    "matches",
    metadata,
    sa.Column("match_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("home_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("corporation_id", sa.String(40), nullable=False, index=True),
    # proposed | accepted | declined | expired | cancelled | tenancy_started
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decline_reason", sa.String(40), nullable=True),
    sa.Column("decline_note", sa.Text, nullable=True),  # stays here: never on Kafka
    sa.Column("tenancy", JSONB, nullable=True),
    sa.Column("explanation", JSONB, nullable=False),
)
# At most one open proposal per home and per client, enforced by the database too.
sa.Index("uq_open_match_home", matches.c.home_id, unique=True,
         postgresql_where=matches.c.status.in_(["proposed", "accepted"]))
sa.Index("uq_open_match_case", matches.c.case_id, unique=True,
         postgresql_where=matches.c.status.in_(["proposed", "accepted"]))

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
