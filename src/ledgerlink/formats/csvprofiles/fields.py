"""The canonical fields a CSV column (or a profile constant) can feed.

A profile's ``[columns]`` table maps these names to the headers of an export; its ``[defaults]``
table gives constants for the same names (used when the column is absent or the cell empty).
Document fields are read from the first row of a document; line fields from every row.
"""

from __future__ import annotations

from enum import StrEnum


class Field(StrEnum):
    # --- document (BT ids of EN 16931)
    NUMBER = "number"  # BT-1
    DOCUMENT_TYPE = "document_type"  # decides invoice / credit note through [document_type]
    ISSUE_DATE = "issue_date"  # BT-2
    DUE_DATE = "due_date"  # BT-9
    TAX_POINT_DATE = "tax_point_date"  # BT-7
    CURRENCY = "currency"  # BT-5
    CUSTOMER_ACCOUNT = "customer_account"  # the debtor account in the seller's books
    BUYER_REFERENCE = "buyer_reference"  # BT-10
    ORDER_REFERENCE = "order_reference"  # BT-13
    PROJECT_REFERENCE = "project_reference"  # BT-11
    CONTRACT_REFERENCE = "contract_reference"  # BT-12
    PRECEDING_INVOICE = "preceding_invoice"  # BT-25 (credit notes)
    PAYMENT_TERMS = "payment_terms"  # BT-20
    NOTE = "note"  # BT-22
    PAYMENT_MEANS_CODE = "payment_means_code"  # BT-81
    PAYMENT_IBAN = "payment_iban"  # BT-84
    PAYMENT_BIC = "payment_bic"  # BT-86
    # --- seller (BG-4) and buyer (BG-7)
    SELLER_NAME = "seller_name"
    SELLER_VAT_ID = "seller_vat_id"
    SELLER_LEGAL_ID = "seller_legal_id"
    SELLER_EMAIL = "seller_email"
    SELLER_ADDRESS_LINE1 = "seller_address_line1"
    SELLER_ADDRESS_LINE2 = "seller_address_line2"
    SELLER_ADDRESS_LINE3 = "seller_address_line3"
    SELLER_CITY = "seller_city"
    SELLER_POSTAL_CODE = "seller_postal_code"
    SELLER_SUBDIVISION = "seller_subdivision"
    SELLER_COUNTRY = "seller_country"
    BUYER_NAME = "buyer_name"
    BUYER_VAT_ID = "buyer_vat_id"
    BUYER_LEGAL_ID = "buyer_legal_id"
    BUYER_EMAIL = "buyer_email"
    BUYER_ADDRESS_LINE1 = "buyer_address_line1"
    BUYER_ADDRESS_LINE2 = "buyer_address_line2"
    BUYER_ADDRESS_LINE3 = "buyer_address_line3"
    BUYER_CITY = "buyer_city"
    BUYER_POSTAL_CODE = "buyer_postal_code"
    BUYER_SUBDIVISION = "buyer_subdivision"
    BUYER_COUNTRY = "buyer_country"
    # --- totals stated by the export (kept as stated, compared by the rules)
    TOTAL_NET = "total_net"  # BT-109
    TOTAL_TAX = "total_tax"  # BT-110
    TOTAL_GROSS = "total_gross"  # BT-112
    TOTAL_PAID = "total_paid"  # BT-113
    TOTAL_DUE = "total_due"  # BT-115
    # --- line (BG-25)
    LINE_ID = "line_id"  # BT-126
    ITEM_NAME = "item_name"  # BT-153
    ITEM_DESCRIPTION = "item_description"  # BT-154
    SELLER_ITEM_ID = "seller_item_id"  # BT-155
    QUANTITY = "quantity"  # BT-129
    UNIT_CODE = "unit_code"  # BT-130
    UNIT_PRICE = "unit_price"  # BT-146
    LINE_DISCOUNT_PERCENT = "line_discount_percent"  # BT-138
    LINE_NET_AMOUNT = "line_net_amount"  # BT-131
    LINE_TAX_AMOUNT = "line_tax_amount"  # the line's VAT as posted in the books
    TAX_CODE = "tax_code"  # looked up in [tax_codes]
    TAX_RATE = "tax_rate"  # BT-152, percent
    TAX_CATEGORY = "tax_category"  # BT-151
    LINE_ACCOUNTING_REFERENCE = "line_accounting_reference"  # BT-133 (nominal / account code)
    LINE_NOTE = "line_note"  # BT-127


LINE_FIELDS = frozenset(
    {
        Field.LINE_ID,
        Field.ITEM_NAME,
        Field.ITEM_DESCRIPTION,
        Field.SELLER_ITEM_ID,
        Field.QUANTITY,
        Field.UNIT_CODE,
        Field.UNIT_PRICE,
        Field.LINE_DISCOUNT_PERCENT,
        Field.LINE_NET_AMOUNT,
        Field.LINE_TAX_AMOUNT,
        Field.TAX_CODE,
        Field.TAX_RATE,
        Field.TAX_CATEGORY,
        Field.LINE_ACCOUNTING_REFERENCE,
        Field.LINE_NOTE,
    }
)
"""Fields read from every row; all others are read from a document's first row."""

DATE_FIELDS = frozenset({Field.ISSUE_DATE, Field.DUE_DATE, Field.TAX_POINT_DATE})

DOCUMENT_AMOUNT_FIELDS = (
    Field.TOTAL_NET,
    Field.TOTAL_TAX,
    Field.TOTAL_GROSS,
    Field.TOTAL_PAID,
    Field.TOTAL_DUE,
)

CONSTANT_PER_DOCUMENT = (Field.CURRENCY, Field.ISSUE_DATE, *DOCUMENT_AMOUNT_FIELDS)
"""Document fields every row of a document must agree on; a differing row is an error."""
