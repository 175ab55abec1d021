"""The domain core: proposal details, the explanation's allocation round, the e-mail outbox.

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
SCHEMA = "matching"


def upgrade() -> None:
    op.add_column("candidates", sa.Column("first_proposed_at", sa.DateTime(timezone=True)),
                  schema=SCHEMA)
    op.add_column("candidates", sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
                  schema=SCHEMA)
    op.add_column("homes", sa.Column("requested_members", JSONB), schema=SCHEMA)
    op.add_column("homes", sa.Column("requested_at", sa.DateTime(timezone=True)),
                  schema=SCHEMA)
    op.add_column("homes", sa.Column("withdrawn_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    for column in (
        sa.Column("allocation_round", sa.Integer),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("declined_by", sa.String(20)),
        sa.Column("cancel_reason", sa.String(40)),
        sa.Column("client_response", sa.String(20)),
        sa.Column("client_responded_at", sa.DateTime(timezone=True)),
        sa.Column("client_reason", sa.String(40)),
    ):
        op.add_column("matches", column, schema=SCHEMA)
    # The expiry job looks for open proposals past their deadline.
    op.create_index("ix_matches_open_deadline", "matches", ["deadline"], schema=SCHEMA,
                    postgresql_where=sa.text("status = 'proposed'"))
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipient_role", sa.String(20), nullable=False),
        sa.Column("recipient_org", sa.String(40), nullable=False),
        sa.Column("match_id", UUID(as_uuid=True), nullable=True, index=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.create_index("ix_notifications_pending", "notifications", ["due_at"], schema=SCHEMA,
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_table("notifications", schema=SCHEMA)
    op.drop_index("ix_matches_open_deadline", "matches", schema=SCHEMA)
    for column in ("allocation_round", "ended_at", "declined_by", "cancel_reason",
                   "client_response", "client_responded_at", "client_reason"):
        op.drop_column("matches", column, schema=SCHEMA)
    for column in ("requested_members", "requested_at", "withdrawn_at"):
        op.drop_column("homes", column, schema=SCHEMA)
    for column in ("first_proposed_at", "withdrawn_at"):
        op.drop_column("candidates", column, schema=SCHEMA)
