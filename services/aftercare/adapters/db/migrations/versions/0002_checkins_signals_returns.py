"""Check-ins, signals, intakes seen and returns; policy and closing date on trajectories.

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
SCHEMA = "aftercare"


def _trajectory_fk() -> sa.ForeignKey:
    return sa.ForeignKey(f"{SCHEMA}.trajectories.trajectory_id", ondelete="CASCADE")


def upgrade() -> None:
    op.add_column("trajectories", sa.Column("policy", JSONB, nullable=True), schema=SCHEMA)
    op.add_column("trajectories", sa.Column("completed_on", sa.Date, nullable=True),
                  schema=SCHEMA)
    op.create_index("ix_aftercare_trajectories_home_id", "trajectories", ["home_id"],
                    schema=SCHEMA)

    op.create_table(
        "checkins",
        sa.Column("checkin_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("trajectory_id", UUID(as_uuid=True), _trajectory_fk(), nullable=False),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("scores", JSONB, nullable=False),
        sa.Column("agreed_actions", JSONB, nullable=False),
        sa.Column("private_notes", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_checkins_trajectory", "checkins", ["trajectory_id", "seq"],
                    schema=SCHEMA)

    op.create_table(
        "signals",
        sa.Column("signal_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("trajectory_id", UUID(as_uuid=True), _trajectory_fk(), nullable=False),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column("corporation_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("months_owed", sa.Integer, nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("raised_by", sa.String(200), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalates_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.create_index("ix_aftercare_signals_trajectory_id", "signals", ["trajectory_id"],
                    schema=SCHEMA)
    op.create_index("ix_aftercare_signals_corporation_id", "signals", ["corporation_id"],
                    schema=SCHEMA)
    op.create_index(
        "ix_signals_unanswered", "signals", ["escalates_at"], schema=SCHEMA,
        postgresql_where=sa.text("acknowledged_at IS NULL AND escalated_at IS NULL"),
    )

    op.create_table(
        "intakes",
        sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("client_ref", sa.String(80), nullable=False),
        sa.Column("member_id", sa.String(40), nullable=False),
        sa.Column("submitted_on", sa.Date, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_aftercare_intakes_client_ref", "intakes", ["client_ref"],
                    schema=SCHEMA)

    op.create_table(
        "returns",
        sa.Column("trajectory_id", UUID(as_uuid=True), _trajectory_fk(), primary_key=True),
        sa.Column("intake_case_id", UUID(as_uuid=True), nullable=False),
        sa.Column("returned_on", sa.Date, nullable=False),
        sa.Column("days_after_tenancy", sa.Integer, nullable=False),
        sa.Column("bucket", sa.String(10), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("returns", "intakes", "signals", "checkins"):
        op.drop_table(table, schema=SCHEMA)
    op.drop_index("ix_aftercare_trajectories_home_id", "trajectories", schema=SCHEMA)
    op.drop_column("trajectories", "completed_on", schema=SCHEMA)
    op.drop_column("trajectories", "policy", schema=SCHEMA)
