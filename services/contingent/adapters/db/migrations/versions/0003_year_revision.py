"""A revision per year: a new random id with every write of the year's aggregate, so a
process may reuse the year it read last while the revision is unchanged.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
SCHEMA = "contingent"


def upgrade() -> None:
    # Years written before this have none: they are read from their rows until next written.
    op.add_column("contingents", sa.Column("revision", UUID(as_uuid=True), nullable=True),
                  schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("contingents", "revision", schema=SCHEMA)
