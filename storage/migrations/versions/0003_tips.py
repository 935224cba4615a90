"""anonymous tips

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 19:19:20.382062
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('receipt_hash', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('where_text', sa.String(length=300), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_text', sa.String(length=200), nullable=False),
    sa.Column('industry', sa.String(length=50), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('received_on', sa.String(length=10), nullable=False),
    sa.Column('decided_on', sa.String(length=10), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=True),
    sa.Column('reward_yuan', sa.Integer(), nullable=True),
    sa.Column('major', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_tips_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazards.id'], name=op.f('fk_tips_hazard_id_hazards')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_tips_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tips')),
    sa.UniqueConstraint('number', name=op.f('uq_tips_number')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_tips_receipt_hash'))
    )
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tips_unit_id'), ['unit_id'], unique=False)

    op.create_table('tip_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('on', sa.String(length=10), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['people.id'], name=op.f('fk_tip_messages_staff_id_people')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_messages_tip_id_tips')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_messages'))
    )
    with op.batch_alter_table('tip_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_messages_tip_id'), ['tip_id'], unique=False)

    op.create_table('tip_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_photos_tip_id_tips')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_photos'))
    )
    with op.batch_alter_table('tip_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_photos_tip_id'), ['tip_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tip_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_photos_tip_id'))

    op.drop_table('tip_photos')
    with op.batch_alter_table('tip_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_messages_tip_id'))

    op.drop_table('tip_messages')
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tips_unit_id'))

    op.drop_table('tips')
