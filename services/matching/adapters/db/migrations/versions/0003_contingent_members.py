"""The members of each contingent year, as the contingent's ContingentSet and Redistributed
events name them: a home asks the contingent only about members that can be owed it.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
SCHEMA = "matching"


def upgrade() -> None:
    # Empty for years set before this migration: their homes ask about every member with an
    # eligible candidate, as before, until the year's next ContingentSet.
    op.create_table(
        "contingent_members",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("member_id", sa.String(40), primary_key=True),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("contingent_members", schema=SCHEMA)
