"""Per-organisation CSV layout profiles.

Revision ID: 0003_csv_profiles
Revises: 0002_export
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_csv_profiles"
down_revision = "0002_export"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "csv_profiles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_csv_profiles_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csv_profiles")),
        sa.UniqueConstraint("org_id", "name", name="uq_csv_profiles_org_name"),
    )
    with op.batch_alter_table("csv_profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_csv_profiles_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("csv_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csv_profiles_org_id"))
    op.drop_table("csv_profiles")
