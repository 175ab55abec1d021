"""Alembic, the same way for every service: one schema per service, its own version table.

A service's `migrations/env.py` is three lines that call `run_env`; the composition root
calls `upgrade` at start-up (in a thread, because Alembic's async env runs its own loop).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(script_location: Path, url: str, schema: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["schema"] = schema
    return cfg


def upgrade(script_location: Path, url: str, schema: str) -> None:
    command.upgrade(alembic_config(script_location, url, schema), "head")


def run_env(target_metadata: sa.MetaData) -> None:
    """Body of every service's env.py (online mode only: we always have a database)."""
    cfg = context.config
    schema: str = cfg.attributes["schema"]

    def migrate(connection: sa.Connection) -> None:
        # One migrator at a time per schema, whichever replica starts first.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": schema})
        connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(cfg.get_main_option("sqlalchemy.url") or "")
        async with engine.begin() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())


def create_plumbing_tables(schema: str) -> None:
    """The outbox and inbox every service's first migration creates (inside `upgrade()`)."""
    from alembic import op
    from sqlalchemy.dialects.postgresql import JSONB, UUID

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        schema=schema,
    )
    op.create_index(
        "ix_outbox_unpublished", "outbox", ["id"], schema=schema,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        schema=schema,
    )
