"""people: unbound_at, for 解绑 that keeps the history's references

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people') as batch_op:
        batch_op.add_column(sa.Column('unbound_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('people') as batch_op:
        batch_op.drop_column('unbound_at')
