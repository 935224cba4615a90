"""The migrations build exactly the schema the models describe, on both databases.

A model changed without its migration would work in tests that create tables from the models and fail
on a deployed database that `hazardbot init` upgraded.
"""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from storage.db import migrate
from storage.models import Base


def _drift(url: str) -> list[object]:
    migrate(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    return diff


def test_migrated_sqlite_matches_the_models(tmp_path):
    assert _drift(f"sqlite:///{tmp_path / 'm.sqlite3'}") == []


def test_migrated_postgresql_matches_the_models(pg_url):
    assert _drift(pg_url) == []
