"""The aftercare service's tables: trajectories, check-ins, signals."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import inbox_table, outbox_table

SCHEMA = "aftercare"
metadata = sa.MetaData(schema=SCHEMA)

trajectories = sa.Table(
    "trajectories",
    metadata,
    sa.Column("trajectory_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("client_ref", sa.String(80), nullable=False, index=True),
    sa.Column("member_id", sa.String(40), nullable=False, index=True),
    sa.Column("corporation_id", sa.String(40), nullable=False, index=True),
    sa.Column("home_id", UUID(as_uuid=True), nullable=False),
    sa.Column("tenancy_start", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    sa.Column("contract", JSONB, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # open | completed
    sa.Column("outcome", sa.String(30), nullable=True),
    sa.Column("state", JSONB, nullable=False),  # check-ins, signals, alerts (domain state)
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
