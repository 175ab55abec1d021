"""The aftercare service's tables: trajectories, check-ins, signals, and what returns need.

Private notes, agreed actions, life-domain scores, a signal's description and an extension's
reason live here and nowhere else: they never go into an event.
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

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
    sa.Column("home_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("tenancy_start", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    sa.Column("contract", JSONB, nullable=False),  # as TenancyStarted carried it
    sa.Column("status", sa.String(20), nullable=False),  # open | extended | completed
    sa.Column("outcome", sa.String(30), nullable=True),
    # extensions (with their reasons) and the due dates whose overdue alert went out
    sa.Column("state", JSONB, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    # the AftercarePolicy the trajectory was opened under (NULL: the default policy)
    sa.Column("policy", JSONB, nullable=True),
    sa.Column("completed_on", sa.Date, nullable=True),
    # For the overdue sweep, derived on every write (NULL: written before they existed):
    # from when each pending check-in is overdue, and the first day with an alert to send.
    sa.Column("overdue_dates", ARRAY(sa.Date), nullable=True),
    sa.Column("next_alert_on", sa.Date, nullable=True, index=True),
)

checkins = sa.Table(
    "checkins",
    metadata,
    sa.Column("checkin_id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "trajectory_id", UUID(as_uuid=True),
        sa.ForeignKey("trajectories.trajectory_id", ondelete="CASCADE"), nullable=False,
    ),
    # recording order: of two check-ins on one day the first recorded fulfils the due date
    sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("scores", JSONB, nullable=False),
    sa.Column("agreed_actions", JSONB, nullable=False),
    sa.Column("private_notes", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_checkins_trajectory", "trajectory_id", "seq"),
)

signals = sa.Table(
    "signals",
    metadata,
    sa.Column("signal_id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "trajectory_id", UUID(as_uuid=True),
        sa.ForeignKey("trajectories.trajectory_id", ondelete="CASCADE"), nullable=False,
        index=True,
    ),
    sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
    sa.Column("corporation_id", sa.String(40), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("months_owed", sa.Integer, nullable=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("raised_by", sa.String(200), nullable=False),
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("escalates_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("acknowledged_by", sa.String(200), nullable=True),
    sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index(
        "ix_signals_unanswered", "escalates_at",
        postgresql_where=sa.text("acknowledged_at IS NULL AND escalated_at IS NULL"),
    ),
)

# Every IntakeSubmitted seen (pseudonymous), so that a return is found whichever of the
# tenancy and the new intake arrives first.
intakes = sa.Table(
    "intakes",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("client_ref", sa.String(80), nullable=False, index=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("submitted_on", sa.Date, nullable=False),
)

# The first return to homelessness of each tenancy (one ReturnToHomelessness per tenancy).
returns = sa.Table(
    "returns",
    metadata,
    sa.Column(
        "trajectory_id", UUID(as_uuid=True),
        sa.ForeignKey("trajectories.trajectory_id", ondelete="CASCADE"), primary_key=True,
    ),
    sa.Column("intake_case_id", UUID(as_uuid=True), nullable=False),
    sa.Column("returned_on", sa.Date, nullable=False),
    sa.Column("days_after_tenancy", sa.Integer, nullable=False),
    sa.Column("bucket", sa.String(10), nullable=False),
    sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
