"""The matching service's tables: homes, waiting candidates (pseudonymous), proposals, the
e-mail outbox (notifications) and the members of each contingent year. Migrations 0001–0003
create them."""

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
    sa.Column("profile", JSONB, nullable=False),  # the intake's MatchingProfile (JSON mode)
    # waiting | proposed | housed | withdrawn
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("first_proposed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
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
    # The members named in the last AllocationRequested, and when (business time).
    sa.Column("requested_members", JSONB, nullable=True),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
)

# The members of a contingent year (from ContingentSet and Redistributed): only they can be
# owed one of its homes. No rows for a year: matching has not heard of it, and asks about all.
contingent_members = sa.Table(
    "contingent_members",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.String(40), primary_key=True),
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
    sa.Column("allocation_round", sa.Integer, nullable=True),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("declined_by", sa.String(20), nullable=True),  # corporation | client
    sa.Column("cancel_reason", sa.String(40), nullable=True),  # intake_| home_withdrawn
    sa.Column("client_response", sa.String(20), nullable=True),  # accepted | declined
    sa.Column("client_responded_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("client_reason", sa.String(40), nullable=True),  # the intake's coded reason
)
# At most one open proposal per home and per client, enforced by the database too.
sa.Index("uq_open_match_home", matches.c.home_id, unique=True,
         postgresql_where=matches.c.status.in_(["proposed", "accepted"]))
sa.Index("uq_open_match_case", matches.c.case_id, unique=True,
         postgresql_where=matches.c.status.in_(["proposed", "accepted"]))
sa.Index("ix_matches_open_deadline", matches.c.deadline,
         postgresql_where=matches.c.status == "proposed")

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    # proposal_arrived | decision_reminder | proposal_decided | proposal_cancelled | ...
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("recipient_role", sa.String(20), nullable=False),  # corporation | caseworker
    sa.Column("recipient_org", sa.String(40), nullable=False),
    sa.Column("match_id", UUID(as_uuid=True), nullable=True, index=True),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # never personal data: references only
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),  # business time
    # pending | sent | cancelled | undeliverable
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),  # wall time
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
)
sa.Index("ix_notifications_pending", notifications.c.due_at,
         postgresql_where=notifications.c.status == "pending")

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
