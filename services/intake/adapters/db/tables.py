"""The intake service's tables, in its own schema. Personal data lives only here.

Mirrors the Alembic migrations in `migrations/versions/` (0001 the skeleton, 0002 the
aggregate's further state, the access log and the one-open-case index).
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import inbox_table, outbox_table

SCHEMA = "intake"
metadata = sa.MetaData(schema=SCHEMA)

# A case is open (holds the client's one place in the queue) in these statuses.
OPEN_STATUSES = ("draft", "submitted", "proposed", "housed")
# The predicate of the unique index on open cases, written once: an `ON CONFLICT` that names
# the index must repeat it (services/intake/adapters/db/repository.py, `_ADD`).
OPEN_CASE = sa.text("status IN ('draft', 'submitted', 'proposed', 'housed')")

intakes = sa.Table(
    "intakes",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False, index=True),
    sa.Column("caseworker", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("client_ref", sa.String(80), nullable=False, index=True),
    # Erasable personal data: name, date of birth, contact, BSN; and the member's client number.
    sa.Column("personal", JSONB, nullable=True),
    sa.Column("client_number", sa.String(60), nullable=True),
    sa.Column("profile", JSONB, nullable=False),  # the matching profile, wire shape
    sa.Column("details", JSONB, nullable=False),  # the rest of the form (free texts erasable)
    sa.Column("notes", sa.Text, nullable=True),  # free text: never leaves this service
    sa.Column("required_bedrooms", sa.Integer, nullable=False),
    sa.Column("max_affordable_rent_cents", sa.Integer, nullable=False),
    sa.Column("proposals", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("history", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),  # opened
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),  # first submission
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("tenancy_start", sa.Date, nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),  # aftercare ended
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),  # closed or withdrawn
    sa.Column("withdrawal_reason", sa.String(40), nullable=True),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index(
        "uq_intakes_one_open_case_per_client", "client_ref", unique=True,
        postgresql_where=OPEN_CASE,
    ),
    sa.Index("ix_intakes_retention", "ended_at", postgresql_where=sa.text("erased_at IS NULL")),
)

# Who read which client's personal data, when and why. Never the data itself.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reader", sa.String(200), nullable=False),  # the token's `sub`
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("org", sa.String(40), nullable=False),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("member_id", sa.String(40), nullable=False),  # the case's member organisation
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Index("ix_audit_log_read_at", "read_at"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
