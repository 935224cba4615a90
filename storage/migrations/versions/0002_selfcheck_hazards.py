"""self-check runs, hazards, their history, work records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 19:15:54.388022
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('selfcheck_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('form_ids', sa.JSON(), nullable=False),
    sa.Column('form_version', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('form_state', sa.JSON(), nullable=False),
    sa.Column('started_by', sa.Integer(), nullable=True),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('started_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('amended_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_selfcheck_runs_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['started_by'], ['people.id'], name=op.f('fk_selfcheck_runs_started_by_people')),
    sa.ForeignKeyConstraint(['submitted_by'], ['people.id'], name=op.f('fk_selfcheck_runs_submitted_by_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfcheck_runs')),
    sa.UniqueConstraint('enterprise_id', 'period', name=op.f('uq_selfcheck_runs_enterprise_id'))
    )
    with op.batch_alter_table('selfcheck_runs', schema=None) as batch_op:
        batch_op.create_index('ix_selfcheck_runs_period_submitted', ['period', 'enterprise_id'], unique=False, postgresql_where=sa.text("status = 'submitted'"), sqlite_where=sa.text("status = 'submitted'"))

    op.create_table('work_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_work_records_person_id_people')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_work_records_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_records'))
    )
    with op.batch_alter_table('work_records', schema=None) as batch_op:
        batch_op.create_index('ix_work_records_unit_kind_day', ['unit_id', 'kind', 'day'], unique=False)

    op.create_table('hazards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('industry', sa.String(length=50), nullable=False),
    sa.Column('level', sa.String(length=4), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('clause', sa.String(length=300), nullable=False),
    sa.Column('selfcheck_run_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.String(length=100), nullable=False),
    sa.Column('fixed_on_spot', sa.Boolean(), nullable=True),
    sa.Column('responsible', sa.String(length=100), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('funds_wan', sa.Double(), nullable=True),
    sa.Column('deadline', sa.String(length=10), nullable=True),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('equipment_stopped', sa.Boolean(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('supervision_level', sa.String(length=4), nullable=True),
    sa.Column('supervision_doc', sa.String(length=200), nullable=False),
    sa.Column('listed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('progress_due', sa.String(length=10), nullable=True),
    sa.Column('found_by', sa.Integer(), nullable=True),
    sa.Column('found_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['units.id'], name=op.f('fk_hazards_department_id_units')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_hazards_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['found_by'], ['people.id'], name=op.f('fk_hazards_found_by_people')),
    sa.ForeignKeyConstraint(['selfcheck_run_id'], ['selfcheck_runs.id'], name=op.f('fk_hazards_selfcheck_run_id_selfcheck_runs')),
    sa.ForeignKeyConstraint(['town_id'], ['units.id'], name=op.f('fk_hazards_town_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazards')),
    sa.UniqueConstraint('number', name=op.f('uq_hazards_number'))
    )
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.create_index('ix_hazards_department_id_found', ['department_id', 'found_at', 'level', 'source', 'status'], unique=False)
        batch_op.create_index('ix_hazards_department_id_listed', ['department_id', 'progress_due', 'id'], unique=False, postgresql_where=sa.text('supervision_level IS NOT NULL'), sqlite_where=sa.text('supervision_level IS NOT NULL'))
        batch_op.create_index('ix_hazards_department_id_open', ['department_id', 'deadline', 'id'], unique=False, postgresql_where=sa.text("status IN ('待整改', '整改中', '已整改待核查')"), sqlite_where=sa.text("status IN ('待整改', '整改中', '已整改待核查')"))
        batch_op.create_index(batch_op.f('ix_hazards_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_selfcheck_run_id'), ['selfcheck_run_id'], unique=False)
        batch_op.create_index('ix_hazards_town_id_found', ['town_id', 'found_at', 'level', 'source', 'status'], unique=False)
        batch_op.create_index('ix_hazards_town_id_listed', ['town_id', 'progress_due', 'id'], unique=False, postgresql_where=sa.text('supervision_level IS NOT NULL'), sqlite_where=sa.text('supervision_level IS NOT NULL'))
        batch_op.create_index('ix_hazards_town_id_open', ['town_id', 'deadline', 'id'], unique=False, postgresql_where=sa.text("status IN ('待整改', '整改中', '已整改待核查')"), sqlite_where=sa.text("status IN ('待整改', '整改中', '已整改待核查')"))

    op.create_table('hazard_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=10), nullable=False),
    sa.Column('to_status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazards.id'], name=op.f('fk_hazard_events_hazard_id_hazards')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_hazard_events_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_events'))
    )
    with op.batch_alter_table('hazard_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hazard_events_hazard_id'), ['hazard_id'], unique=False)

    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprises_industry'), ['industry'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprises_industry'))

    with op.batch_alter_table('hazard_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hazard_events_hazard_id'))

    op.drop_table('hazard_events')
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.drop_index('ix_hazards_town_id_open', postgresql_where=sa.text("status IN ('待整改', '整改中', '已整改待核查')"), sqlite_where=sa.text("status IN ('待整改', '整改中', '已整改待核查')"))
        batch_op.drop_index('ix_hazards_town_id_listed', postgresql_where=sa.text('supervision_level IS NOT NULL'), sqlite_where=sa.text('supervision_level IS NOT NULL'))
        batch_op.drop_index('ix_hazards_town_id_found')
        batch_op.drop_index(batch_op.f('ix_hazards_selfcheck_run_id'))
        batch_op.drop_index(batch_op.f('ix_hazards_enterprise_id'))
        batch_op.drop_index('ix_hazards_department_id_open', postgresql_where=sa.text("status IN ('待整改', '整改中', '已整改待核查')"), sqlite_where=sa.text("status IN ('待整改', '整改中', '已整改待核查')"))
        batch_op.drop_index('ix_hazards_department_id_listed', postgresql_where=sa.text('supervision_level IS NOT NULL'), sqlite_where=sa.text('supervision_level IS NOT NULL'))
        batch_op.drop_index('ix_hazards_department_id_found')

    op.drop_table('hazards')
    with op.batch_alter_table('work_records', schema=None) as batch_op:
        batch_op.drop_index('ix_work_records_unit_kind_day')

    op.drop_table('work_records')
    with op.batch_alter_table('selfcheck_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_selfcheck_runs_period_submitted', postgresql_where=sa.text("status = 'submitted'"), sqlite_where=sa.text("status = 'submitted'"))

    op.drop_table('selfcheck_runs')
