"""anonymous tip drafts leave the database: they now live in the private store (storage.ephemeral)

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A draft saved by an earlier version tied a sender to what they typed: it goes now.
    op.execute("DELETE FROM conversations WHERE flow = 'tip_submit'")


def downgrade() -> None:
    pass  # the drafts are gone for good, as intended
