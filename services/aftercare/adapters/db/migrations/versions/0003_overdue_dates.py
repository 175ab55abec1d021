"""What the overdue sweep needs, stored with each trajectory: from when each pending check-in
is overdue, and the first day with an alert to send (both derived on every write).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
SCHEMA = "aftercare"


def upgrade() -> None:
    # NULL for trajectories written before: the sweep reads those whole, as it used to, until
    # their next write fills both in.
    op.add_column("trajectories", sa.Column("overdue_dates", ARRAY(sa.Date), nullable=True),
                  schema=SCHEMA)
    op.add_column("trajectories", sa.Column("next_alert_on", sa.Date, nullable=True),
                  schema=SCHEMA)
    op.create_index("ix_aftercare_trajectories_next_alert_on", "trajectories",
                    ["next_alert_on"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_aftercare_trajectories_next_alert_on", "trajectories", schema=SCHEMA)
    op.drop_column("trajectories", "next_alert_on", schema=SCHEMA)
    op.drop_column("trajectories", "overdue_dates", schema=SCHEMA)
