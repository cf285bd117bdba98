"""Alembic environment: runs against the engine LiuHen hands over (no alembic.ini).

On SQLite, foreign keys are off while migrations run (outside any transaction, as SQLite
requires): batch migrations recreate a table by copy, drop and rename, and the drop of a
table other rows point at would otherwise fail. ``PRAGMA foreign_key_check`` afterwards
refuses a migration that left a dangling reference."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from liuhen.store.tables import metadata

engine = context.config.attributes["connection_engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # on the driver's connection: SQLAlchemy's BEGIN IMMEDIATE must not come first
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.execute(text("PRAGMA foreign_key_check")).all()
            if broken:
                raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
    connection.commit()
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
