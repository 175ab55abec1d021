"""The intake service's tables, in its own schema. Personal data lives only here."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import inbox_table, outbox_table

SCHEMA = "intake"
metadata = sa.MetaData(schema=SCHEMA)

intakes = sa.Table(
    "intakes",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False, index=True),
    sa.Column("caseworker", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("client_ref", sa.String(80), nullable=False, index=True),
    sa.Column("personal", JSONB, nullable=True),  # name, date of birth, contact, BSN; erasable
    sa.Column("profile", JSONB, nullable=False),  # the matching profile (no personal data)
    sa.Column("details", JSONB, nullable=False),  # non-matching fields: perspective, support...
    sa.Column("notes", sa.Text, nullable=True),  # free text: never leaves this service
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
