"""seen_requests: signed webhook requests remembered for the signature window, against replays; anonymous tip
drafts leave the database (they now live in the private store)

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'seen_requests',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_seen_requests')),
    )
    op.create_index(op.f('ix_seen_requests_expires_at'), 'seen_requests', ['expires_at'], unique=False)
    # A draft saved by an earlier version tied a sender to what they typed: it goes now.
    op.execute("DELETE FROM conversations WHERE flow = 'tip_submit'")


def downgrade() -> None:
    op.drop_index(op.f('ix_seen_requests_expires_at'), table_name='seen_requests')
    op.drop_table('seen_requests')
