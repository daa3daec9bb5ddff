"""The export engine's tables (SQLAlchemy Core, on the store's one ``metadata``).

Every table carries ``org_id`` and every query of :mod:`ledgerlink.export.repository` and
:mod:`ledgerlink.export.claims` filters on it. Money is decimal TEXT; item bodies are the canonical
item JSON (the record of what was submitted). ``export_org_slots`` is the per-organisation mutex that
keeps at most one job in progress per organisation; ``export_job_claims`` records every claim.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledgerlink.store.schema import Id, Money, Timestamp, metadata


def _org() -> sa.Column[str]:
    return sa.Column("org_id", Id, sa.ForeignKey("organisations.id"), nullable=False, index=True)


export_items = sa.Table(
    "export_items",
    metadata,
    _org(),
    sa.Column("id", sa.String(200), nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("amount", Money, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("external_id", sa.String(500), nullable=True),
    sa.Column("exported_at", Timestamp, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.PrimaryKeyConstraint("org_id", "id", name="pk_export_items"),
    sa.Index("ix_export_items_org_status", "org_id", "status", "created_at"),
)

export_jobs = sa.Table(
    "export_jobs",
    metadata,
    sa.Column("id", Id, primary_key=True),
    _org(),
    sa.Column("integration", sa.String(64), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("failure_reason", sa.Text, nullable=True),
    sa.Column("failure_reason_type", sa.String(60), nullable=True),
    sa.Column("item_count", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("started_at", Timestamp, nullable=True),
    sa.Column("finished_at", Timestamp, nullable=True),
    sa.Column("claim_token", Id, nullable=True),
    sa.Column("worker_id", sa.String(200), nullable=True),
    sa.Column("lease_expires_at", Timestamp, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Index("ix_export_jobs_org_status_created", "org_id", "status", "created_at"),
    sa.Index("ix_export_jobs_status_created", "status", "created_at"),
)

export_job_items = sa.Table(
    "export_job_items",
    metadata,
    _org(),
    sa.Column("job_id", Id, sa.ForeignKey("export_jobs.id"), nullable=False),
    sa.Column("item_id", sa.String(200), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("external_id", sa.String(500), nullable=True),
    sa.Column("failure_reason", sa.Text, nullable=True),
    sa.Column("failure_reason_type", sa.String(60), nullable=True),
    sa.Column("exported_at", Timestamp, nullable=True),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.PrimaryKeyConstraint("job_id", "item_id", name="pk_export_job_items"),
    sa.Index("ix_export_job_items_org_item", "org_id", "item_id"),
)

export_job_events = sa.Table(
    "export_job_events",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    _org(),
    sa.Column("job_id", Id, sa.ForeignKey("export_jobs.id"), nullable=False, index=True),
    sa.Column("type", sa.String(30), nullable=False),
    sa.Column("failure_reason", sa.Text, nullable=True),
    sa.Column("failure_reason_type", sa.String(60), nullable=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

export_org_slots = sa.Table(
    "export_org_slots",
    metadata,
    sa.Column("org_id", Id, sa.ForeignKey("organisations.id"), primary_key=True),
    sa.Column("job_id", Id, nullable=True),
    sa.Column("claim_token", Id, nullable=True),
    sa.Column("lease_expires_at", Timestamp, nullable=True),
)

export_job_claims = sa.Table(
    "export_job_claims",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    _org(),
    sa.Column("job_id", Id, sa.ForeignKey("export_jobs.id"), nullable=False, index=True),
    sa.Column("claim_token", Id, nullable=False),
    sa.Column("worker_id", sa.String(200), nullable=False),
    sa.Column("recovered", sa.Boolean, nullable=False),
    sa.Column("claimed_at", Timestamp, nullable=False),
    sa.Column("released_at", Timestamp, nullable=True),
)

integrations = sa.Table(
    "integrations",
    metadata,
    _org(),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.PrimaryKeyConstraint("org_id", "name", name="pk_integrations"),
)

export_attachments = sa.Table(
    "export_attachments",
    metadata,
    _org(),
    sa.Column("item_id", sa.String(200), nullable=False),
    sa.Column("file_ref", sa.String(1000), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("fetched_at", Timestamp, nullable=False),
    sa.PrimaryKeyConstraint("org_id", "item_id", "file_ref", name="pk_export_attachments"),
)
