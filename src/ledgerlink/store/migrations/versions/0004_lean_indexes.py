"""Drop three indexes that no query uses and that every ingest paid for.

* ``ix_documents_org_hash`` (org, kind, content hash): duplicates are found through the
  (org, kind, number) prefix of ``uq_documents_version``, then compared by hash; nothing looks a
  document up by its hash alone. Its keys are random, so every batch rewrote most of its pages.
* ``ix_documents_org_id`` and ``ix_audit_log_org_id``: each is a prefix of another index of its
  table (``uq_documents_version``, ``ix_documents_org_created``; ``ix_audit_log_org_entity``).

Revision ID: 0004_lean_indexes
Revises: 0003_csv_profiles
"""

from __future__ import annotations

from alembic import op

revision = "0004_lean_indexes"
down_revision = "0003_csv_profiles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_org_hash")
        batch_op.drop_index("ix_documents_org_id")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_org_id")


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_org_id", ["org_id"], unique=False)
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_org_id", ["org_id"], unique=False)
        batch_op.create_index("ix_documents_org_hash", ["org_id", "kind", "content_hash"], unique=False)
