"""the back office: one-time login links, browser sessions, hand-entered dispatch-table figures

Revision ID: 0010
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('used_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_login_tokens_person_id_people')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_login_tokens_token_hash')),
    )
    op.create_index(op.f('ix_login_tokens_person_id'), 'login_tokens', ['person_id'], unique=False)
    op.create_index(op.f('ix_login_tokens_expires_at'), 'login_tokens', ['expires_at'], unique=False)
    op.create_table(
        'web_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_hash', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(), nullable=False),
        sa.Column('ended_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_web_sessions_person_id_people')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
        sa.UniqueConstraint('session_hash', name=op.f('uq_web_sessions_session_hash')),
    )
    op.create_index(op.f('ix_web_sessions_person_id'), 'web_sessions', ['person_id'], unique=False)
    op.create_index(op.f('ix_web_sessions_last_seen_at'), 'web_sessions', ['last_seen_at'], unique=False)
    op.create_table(
        'dispatch_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('value', sa.Double(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_dispatch_entries_person_id_people')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_dispatch_entries_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_entries')),
        sa.UniqueConstraint('unit_id', 'month', 'key', name=op.f('uq_dispatch_entries_unit_id')),
    )


def downgrade() -> None:
    op.drop_table('dispatch_entries')
    op.drop_index(op.f('ix_web_sessions_last_seen_at'), table_name='web_sessions')
    op.drop_index(op.f('ix_web_sessions_person_id'), table_name='web_sessions')
    op.drop_table('web_sessions')
    op.drop_index(op.f('ix_login_tokens_expires_at'), table_name='login_tokens')
    op.drop_index(op.f('ix_login_tokens_person_id'), table_name='login_tokens')
    op.drop_table('login_tokens')
