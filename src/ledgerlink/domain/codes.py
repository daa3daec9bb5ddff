"""Code lists used by EN 16931 (BR-CL-*) and ledgerlink, as fast membership lookups.

The lists live as JSON data files in :mod:`ledgerlink.domain.codelists`, taken from the official
EN 16931 validation artefacts (see ``codelists/refresh.py`` for provenance). They are loaded once,
at import, into frozensets; every lookup is then a set membership test.

Rules of comparison:

* codes are compared exactly as written (case-sensitive), as the official validators do, except
  VATEX codes which the validators upper-case first;
* surrounding whitespace is not stripped: ``" EUR"`` is not a currency.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from types import MappingProxyType

_DATA = files("ledgerlink.domain.codelists")


@cache
def code_list(name: str) -> frozenset[str]:
    """The codes of the data file ``codelists/<name>.json`` (``units``, ``countries``, ...)."""
    payload = json.loads(_DATA.joinpath(f"{name}.json").read_text(encoding="utf-8"))
    return frozenset(payload["codes"])


@cache
def _minor_units() -> Mapping[str, int | None]:
    payload = json.loads(_DATA.joinpath("currencies.json").read_text(encoding="utf-8"))
    return MappingProxyType(dict(payload["codes"]))


_COUNTRIES = code_list("countries")
_UNITS = code_list("units")
_VAT_CATEGORIES = code_list("vat_categories")
_INVOICE_TYPE_CODES = code_list("invoice_type_codes")
_CREDIT_NOTE_TYPE_CODES = code_list("credit_note_type_codes")
_PAYMENT_MEANS = code_list("payment_means")
_EAS_SCHEMES = code_list("eas_schemes")
_ICD_SCHEMES = code_list("icd_schemes")
_ALLOWANCE_REASONS = code_list("allowance_reasons")
_CHARGE_REASONS = code_list("charge_reasons")
_VAT_POINT_DATE_CODES = code_list("vat_point_date_codes")
_VATEX = code_list("vatex")
_OBJECT_ID_SCHEMES = code_list("object_id_schemes")
_NOTE_SUBJECT_CODES = code_list("note_subject_codes")
_ITEM_CLASSIFICATION_SCHEMES = code_list("item_classification_schemes")
_MIME_CODES = code_list("mime_codes")
_CURRENCIES = _minor_units()
UNIT_CODES: frozenset[str] = _UNITS
"""Every UN/ECE Rec 20/21 unit code (for bulk checks: ``UNIT_CODES.issuperset(codes)``)."""


def is_currency(code: str) -> bool:
    """ISO 4217 alpha-3 currency code accepted by EN 16931 (BR-CL-04, BR-CL-05)."""
    return code in _CURRENCIES


def currency_minor_units(code: str) -> int | None:
    """Decimal places of a currency's minor unit (EUR 2, JPY 0, KWD 3); ``None`` when ISO defines none.

    Raises ``KeyError`` for a code that is not a currency.
    """
    return _CURRENCIES[code]


def is_country(code: str) -> bool:
    """ISO 3166-1 alpha-2 country code (BR-CL-14, BR-CL-15); includes ``1A`` (Kosovo) and ``XI``."""
    return code in _COUNTRIES


def is_unit(code: str) -> bool:
    """UN/ECE Recommendation 20 (with Rec 21) unit of measure code (BR-CL-23)."""
    return code in _UNITS


def is_vat_category(code: str) -> bool:
    """UNCL5305 VAT category code allowed by EN 16931 (BR-CL-17, BR-CL-18)."""
    return code in _VAT_CATEGORIES


def is_invoice_type_code(code: str) -> bool:
    """UNCL1001 code allowed for an invoice (BR-CL-01)."""
    return code in _INVOICE_TYPE_CODES


def is_credit_note_type_code(code: str) -> bool:
    """UNCL1001 code allowed for a credit note (BR-CL-01)."""
    return code in _CREDIT_NOTE_TYPE_CODES


def is_document_type_code(code: str) -> bool:
    """Either an invoice or a credit note type code: BT-3's list in the syntax-neutral model."""
    return is_invoice_type_code(code) or is_credit_note_type_code(code)


def is_payment_means(code: str) -> bool:
    """UNCL4461 payment means code (BR-CL-16)."""
    return code in _PAYMENT_MEANS


def is_eas_scheme(code: str) -> bool:
    """CEF Electronic Address Scheme of an electronic address (BR-CL-25)."""
    return code in _EAS_SCHEMES


def is_icd_scheme(code: str) -> bool:
    """ISO 6523 ICD identifier scheme (BR-CL-10, BR-CL-11, BR-CL-21, BR-CL-26)."""
    return code in _ICD_SCHEMES


def is_vatex(code: str) -> bool:
    """CEF VATEX exemption reason code (BR-CL-22); compared in upper case like the validators."""
    return code.upper() in _VATEX


def is_allowance_reason(code: str) -> bool:
    """UNCL5189 allowance reason code (BR-CL-19)."""
    return code in _ALLOWANCE_REASONS


def is_charge_reason(code: str) -> bool:
    """UNCL7161 charge reason code (BR-CL-20)."""
    return code in _CHARGE_REASONS


def is_vat_point_date_code(code: str) -> bool:
    """UNCL2005 subset for the VAT point date code BT-8 (BR-CL-06)."""
    return code in _VAT_POINT_DATE_CODES


def is_object_id_scheme(code: str) -> bool:
    """UNCL1153 subset for the invoiced object identifier scheme (BR-CL-07)."""
    return code in _OBJECT_ID_SCHEMES


def is_note_subject(code: str) -> bool:
    """UNCL4451 text subject code of a note (BR-CL-08)."""
    return code in _NOTE_SUBJECT_CODES


def is_item_classification_scheme(code: str) -> bool:
    """UNCL7143 item classification list id (BR-CL-13)."""
    return code in _ITEM_CLASSIFICATION_SCHEMES


def is_mime_code(code: str) -> bool:
    """MIME type allowed for an embedded attachment (BR-CL-24)."""
    return code in _MIME_CODES


VAT_CATEGORY_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "S": "Standard rated",
        "Z": "Zero rated goods",
        "E": "Exempt from VAT",
        "AE": "VAT reverse charge",
        "K": "Intra-community supply (VAT exempt for EEA intra-community supply)",
        "G": "Free export item, VAT not charged",
        "O": "Services outside scope of tax",
        "L": "Canary Islands general indirect tax (IGIC)",
        "M": "Tax for production, services and importation in Ceuta and Melilla (IPSI)",
        "B": "Transferred (VAT), Italy split payment",
    }
)
"""Plain-language names of the UNCL5305 VAT categories EN 16931 allows."""

CREDIT_TRANSFER_MEANS: frozenset[str] = frozenset({"30", "58"})
"""Payment means that need a payee account (BR-61): 30 credit transfer, 58 SEPA credit transfer."""
