"""The store's tables (SQLAlchemy Core), one ``metadata`` for every area of ledgerlink.

Rules: every row that belongs to a customer organisation carries ``org_id`` and every query filters
on it; money is stored as decimal TEXT (exact on SQLite and PostgreSQL alike) — the canonical JSON
body is the document of record; timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Timestamp = sa.DateTime(timezone=True)
Money = sa.String(40)
Id = sa.String(36)


def _org_fk(*, index: bool = True) -> sa.Column[str]:
    """The owning organisation; indexed unless another index of the table starts with ``org_id``."""
    return sa.Column("org_id", Id, sa.ForeignKey("organisations.id"), nullable=False, index=index)


organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", Id, primary_key=True),
    _org_fk(),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("scopes", sa.String(200), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp, nullable=True),
    sa.Column("last_used_at", Timestamp, nullable=True),
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", Id, primary_key=True),
    _org_fk(),
    sa.Column("account_ref", sa.String(200), nullable=False),
    sa.Column("name", sa.String(300), nullable=True),
    sa.Column("email", sa.String(300), nullable=True),
    sa.Column("credit_limit", Money, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("org_id", "account_ref", name="uq_customers_org_account"),
)

parties = sa.Table(
    "parties",
    metadata,
    sa.Column("id", Id, primary_key=True),
    _org_fk(),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("vat_id", sa.String(100), nullable=True),
    sa.Column("legal_id", sa.String(100), nullable=True),
    sa.Column("electronic_address", sa.String(300), nullable=True),
    sa.Column("electronic_scheme", sa.String(10), nullable=True),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("email", sa.String(300), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("org_id", "fingerprint", name="uq_parties_org_fingerprint"),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", Id, primary_key=True),
    _org_fk(index=False),  # uq_documents_version and ix_documents_org_created start with org_id
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("number", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("customer_id", Id, sa.ForeignKey("customers.id"), nullable=True, index=True),
    sa.Column("seller_party_id", Id, sa.ForeignKey("parties.id"), nullable=True),
    sa.Column("buyer_party_id", Id, sa.ForeignKey("parties.id"), nullable=True),
    sa.Column("document_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("payable_amount", Money, nullable=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("source_format", sa.String(20), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("receipt_id", Id, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("org_id", "kind", "number", "version", name="uq_documents_version"),
    sa.Index("ix_documents_org_created", "org_id", "created_at", "id"),
)

ledger_positions = sa.Table(
    "ledger_positions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    _org_fk(),
    sa.Column("customer_id", Id, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("document_id", Id, sa.ForeignKey("documents.id"), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("balance", Money, nullable=False),
    sa.Column("credit_limit", Money, nullable=True),
    sa.Column("open_items", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

receipts = sa.Table(
    "receipts",
    metadata,
    sa.Column("id", Id, primary_key=True),
    _org_fk(),
    sa.Column("key_id", sa.String(100), nullable=False),
    sa.Column("source_format", sa.String(20), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

idempotency_records = sa.Table(
    "idempotency_records",
    metadata,
    sa.Column("id", Id, primary_key=True),
    _org_fk(),
    sa.Column("key_id", sa.String(100), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("response_status", sa.Integer, nullable=True),
    sa.Column("response_body", sa.Text, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("locked_until", Timestamp, nullable=True),
    sa.Column("expires_at", Timestamp, nullable=False, index=True),
    sa.UniqueConstraint("org_id", "key_id", "idempotency_key", name="uq_idempotency_scope"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("org_id", Id, nullable=True),  # ix_audit_log_org_entity starts with org_id
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("entity", sa.String(50), nullable=False),
    sa.Column("entity_id", sa.String(100), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Index("ix_audit_log_org_entity", "org_id", "entity_id"),
)

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", Id, primary_key=True),
    _org_fk(),
    sa.Column("agent_id", sa.String(200), nullable=False),
    sa.Column("key_id", sa.String(100), nullable=False),
    sa.Column("version", sa.String(50), nullable=True),
    sa.Column("hostname", sa.String(255), nullable=True),
    sa.Column("stats", sa.Text, nullable=True),
    sa.Column("first_seen_at", Timestamp, nullable=False),
    sa.Column("last_seen_at", Timestamp, nullable=False),
    sa.UniqueConstraint("org_id", "agent_id", name="uq_agents_org_agent"),
)

csv_profiles = sa.Table(
    "csv_profiles",
    metadata,
    sa.Column("id", Id, primary_key=True),
    _org_fk(),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("org_id", "name", name="uq_csv_profiles_org_name"),
)
