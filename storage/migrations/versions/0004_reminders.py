"""reminders

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 20:02:28.330174
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], name=op.f('fk_broadcasts_created_by_people')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_broadcasts_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    op.create_table('reminder_optouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=30), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_reminder_optouts_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_optouts')),
    sa.UniqueConstraint('person_id', 'rule', name=op.f('uq_reminder_optouts_person_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule', sa.String(length=30), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('template', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('claimed_until', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acked_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_created_at', ['created_at'], unique=False)

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_inbound_at', storage.models.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('last_inbound_at')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_created_at')
        batch_op.drop_column('acked_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('template')
        batch_op.drop_column('rule')

    op.drop_table('reminder_optouts')
    op.drop_table('broadcasts')
