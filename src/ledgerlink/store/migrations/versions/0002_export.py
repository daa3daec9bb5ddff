"""Export engine tables: items, jobs, job items, job events, claims, org slots, integrations,
attachment fetch cache (kept in step with ledgerlink/export/tables.py).

Revision ID: 0002_export
Revises: 0001_core
Create Date: 2026-11-21 05:09:41.255820
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002_export'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('export_attachments',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('item_id', sa.String(length=200), nullable=False),
    sa.Column('file_ref', sa.String(length=1000), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_export_attachments_org_id_organisations')),
    sa.PrimaryKeyConstraint('org_id', 'item_id', 'file_ref', name='pk_export_attachments')
    )
    with op.batch_alter_table('export_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_attachments_org_id'), ['org_id'], unique=False)

    op.create_table('export_items',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=500), nullable=True),
    sa.Column('exported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_export_items_org_id_organisations')),
    sa.PrimaryKeyConstraint('org_id', 'id', name='pk_export_items')
    )
    with op.batch_alter_table('export_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_items_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_export_items_org_status', ['org_id', 'status', 'created_at'], unique=False)

    op.create_table('export_jobs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('integration', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('failure_reason_type', sa.String(length=60), nullable=True),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=36), nullable=True),
    sa.Column('worker_id', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_export_jobs_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs'))
    )
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_jobs_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_export_jobs_org_status_created', ['org_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_export_jobs_status_created', ['status', 'created_at'], unique=False)

    op.create_table('export_org_slots',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('claim_token', sa.String(length=36), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_export_org_slots_org_id_organisations')),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_export_org_slots'))
    )
    op.create_table('integrations',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('config', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_integrations_org_id_organisations')),
    sa.PrimaryKeyConstraint('org_id', 'name', name='pk_integrations')
    )
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrations_org_id'), ['org_id'], unique=False)

    op.create_table('export_job_claims',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('claim_token', sa.String(length=36), nullable=False),
    sa.Column('worker_id', sa.String(length=200), nullable=False),
    sa.Column('recovered', sa.Boolean(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['export_jobs.id'], name=op.f('fk_export_job_claims_job_id_export_jobs')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_export_job_claims_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_job_claims'))
    )
    with op.batch_alter_table('export_job_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_job_claims_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_job_claims_org_id'), ['org_id'], unique=False)

    op.create_table('export_job_events',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('failure_reason_type', sa.String(length=60), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['export_jobs.id'], name=op.f('fk_export_job_events_job_id_export_jobs')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_export_job_events_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_job_events'))
    )
    with op.batch_alter_table('export_job_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_job_events_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_job_events_org_id'), ['org_id'], unique=False)

    op.create_table('export_job_items',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('item_id', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=500), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('failure_reason_type', sa.String(length=60), nullable=True),
    sa.Column('exported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['export_jobs.id'], name=op.f('fk_export_job_items_job_id_export_jobs')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_export_job_items_org_id_organisations')),
    sa.PrimaryKeyConstraint('job_id', 'item_id', name='pk_export_job_items')
    )
    with op.batch_alter_table('export_job_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_job_items_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_export_job_items_org_item', ['org_id', 'item_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('export_job_items', schema=None) as batch_op:
        batch_op.drop_index('ix_export_job_items_org_item')
        batch_op.drop_index(batch_op.f('ix_export_job_items_org_id'))

    op.drop_table('export_job_items')
    with op.batch_alter_table('export_job_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_job_events_org_id'))
        batch_op.drop_index(batch_op.f('ix_export_job_events_job_id'))

    op.drop_table('export_job_events')
    with op.batch_alter_table('export_job_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_job_claims_org_id'))
        batch_op.drop_index(batch_op.f('ix_export_job_claims_job_id'))

    op.drop_table('export_job_claims')
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrations_org_id'))

    op.drop_table('integrations')
    op.drop_table('export_org_slots')
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_export_jobs_status_created')
        batch_op.drop_index('ix_export_jobs_org_status_created')
        batch_op.drop_index(batch_op.f('ix_export_jobs_org_id'))

    op.drop_table('export_jobs')
    with op.batch_alter_table('export_items', schema=None) as batch_op:
        batch_op.drop_index('ix_export_items_org_status')
        batch_op.drop_index(batch_op.f('ix_export_items_org_id'))

    op.drop_table('export_items')
    with op.batch_alter_table('export_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_attachments_org_id'))

    op.drop_table('export_attachments')
