"""The schema's ``MetaData`` (with the naming convention migrations rely on) and the id
column every record table starts with: shared by ``tables`` and ``derived_tables``."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def id_column() -> Column[str]:
    return Column("id", String(40), primary_key=True)
