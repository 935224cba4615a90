"""record-number counters; the tip history; the unused scheduler job store removed

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'counters',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_counters')),
    )
    op.create_table(
        'tip_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tip_id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('from_status', sa.String(length=10), nullable=False),
        sa.Column('to_status', sa.String(length=10), nullable=False),
        sa.Column('from_unit_id', sa.Integer(), nullable=True),
        sa.Column('to_unit_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_tip_events_person_id_people')),
        sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_events_tip_id_tips')),
        sa.ForeignKeyConstraint(['from_unit_id'], ['units.id'], name=op.f('fk_tip_events_from_unit_id_units')),
        sa.ForeignKeyConstraint(['to_unit_id'], ['units.id'], name=op.f('fk_tip_events_to_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_events')),
    )
    op.create_index(op.f('ix_tip_events_tip_id'), 'tip_events', ['tip_id'], unique=False)
    # The scheduler used to keep its jobs in this table (APScheduler's SQLAlchemy job store); they are now
    # re-created in memory at every start.
    op.execute("DROP TABLE IF EXISTS apscheduler_jobs")


def downgrade() -> None:
    op.drop_index(op.f('ix_tip_events_tip_id'), table_name='tip_events')
    op.drop_table('tip_events')
    op.drop_table('counters')
