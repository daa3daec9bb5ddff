"""EN 16931 BR-CL-*: coded values shall come from their code lists (see :mod:`ledgerlink.domain.codes`).

A blank code is not checked here: the presence rules (BR-04, BR-05, BR-CO-04, ...) report it.
BR-CL-03 (currencyID of every amount) has no counterpart: the model has one document currency.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter

from ledgerlink.domain import codes
from ledgerlink.domain.documents import CommercialDocument, Party
from ledgerlink.domain.rules.core import blank
from ledgerlink.domain.rules.facts import Facts
from ledgerlink.domain.rules.registry import OK, rule, violation
from ledgerlink.domain.violations import Violation

Valid = Callable[[str], bool]


def _bad(
    rule_id: str, expected: str, valid: Valid, found: Iterator[tuple[str, str | None]]
) -> list[Violation]:
    """Violations for every ``(path, code)`` whose code is given and not valid."""
    return [
        violation(rule_id, path, expected, code)
        for path, code in found
        if code and code.strip() and not valid(code)
    ]


def _one(rule_id: str, expected: str, valid: Valid, path: str, code: str | None) -> Sequence[Violation]:
    if code is None or not code.strip() or valid(code):
        return OK
    return (violation(rule_id, path, expected, code),)


def _parties(doc: CommercialDocument) -> Iterator[tuple[str, Party]]:
    yield "seller", doc.seller
    yield "buyer", doc.buyer
    if doc.payee is not None:
        yield "payee", doc.payee
    if doc.tax_representative is not None:
        yield "tax_representative", doc.tax_representative


@rule("BR-CL-01", "The document type code (BT-3) shall be an invoice or credit note code of UNTDID 1001.")
def br_cl_01(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _one(
        "BR-CL-01",
        "a UNTDID 1001 invoice/credit note code",
        codes.is_document_type_code,
        "type_code",
        doc.type_code,
    )


@rule("BR-CL-04", "The document currency code (BT-5) shall be an ISO 4217 alpha-3 code.")
def br_cl_04(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _one("BR-CL-04", "an ISO 4217 currency code", codes.is_currency, "currency", doc.currency)


@rule(
    "BR-CL-05",
    "The VAT accounting currency code (BT-6) shall be an ISO 4217 alpha-3 code.",
    needs="vat_accounting_currency",
)
def br_cl_05(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _one(
        "BR-CL-05",
        "an ISO 4217 currency code",
        codes.is_currency,
        "vat_accounting_currency",
        doc.vat_accounting_currency,
    )


@rule(
    "BR-CL-06",
    "The VAT point date code (BT-8) shall be a code of the UNTDID 2005 subset (3, 35, 432).",
    needs="invoicing_period",
)
def br_cl_06(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    period = doc.invoicing_period
    code = period.description_code if period else None
    return _one(
        "BR-CL-06", "3, 35 or 432", codes.is_vat_point_date_code, "invoicing_period.description_code", code
    )


@rule(
    "BR-CL-07",
    "The invoiced object identifier scheme (BT-18-1) shall be a code of UNTDID 1153.",
    needs="invoiced_object",
)
def br_cl_07(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    obj = doc.invoiced_object
    scheme = obj.scheme if obj else None
    return _one("BR-CL-07", "a UNTDID 1153 code", codes.is_object_id_scheme, "invoiced_object.scheme", scheme)


@rule("BR-CL-08", "A note's subject code (BT-21) shall be a code of UNTDID 4451.", needs="notes")
def br_cl_08(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _bad(
        "BR-CL-08",
        "a UNTDID 4451 code",
        codes.is_note_subject,
        ((f"notes[{i}].subject_code", n.subject_code) for i, n in enumerate(doc.notes)),
    )


def _party_id_ok(role: str) -> Valid:
    if role in ("seller", "payee"):
        return lambda code: code == "SEPA" or codes.is_icd_scheme(code)
    return codes.is_icd_scheme


@rule(
    "BR-CL-10",
    "A party identifier's scheme (BT-29-1, BT-46-1, BT-60-1) shall be an ISO 6523 ICD code "
    "(or SEPA for the seller "
    "and payee).",
)
def br_cl_10(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if (
        all(
            i.scheme is None or codes.is_icd_scheme(i.scheme)
            for i in doc.seller.identifiers + doc.buyer.identifiers
        )
        and doc.payee is None
        and doc.tax_representative is None
    ):
        return OK
    out: list[Violation] = []
    for role, party in _parties(doc):
        if party.identifiers:
            out += _bad(
                "BR-CL-10",
                "an ISO 6523 ICD code",
                _party_id_ok(role),
                (
                    (f"{role}.identifiers[{i}].scheme", ident.scheme)
                    for i, ident in enumerate(party.identifiers)
                ),
            )
    return out


@rule(
    "BR-CL-11",
    "A legal registration identifier's scheme (BT-30-1, BT-47-1, BT-61-1) shall be an ISO 6523 ICD code.",
)
def br_cl_11(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _bad(
        "BR-CL-11",
        "an ISO 6523 ICD code",
        codes.is_icd_scheme,
        (
            (f"{role}.legal_id.scheme", party.legal_id.scheme)
            for role, party in _parties(doc)
            if party.legal_id is not None
        ),
    )


@rule(
    "BR-CL-13", "An item classification's scheme (BT-158-1) shall be a code of UNTDID 7143.", needs="item_ids"
)
def br_cl_13(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _bad(
        "BR-CL-13",
        "a UNTDID 7143 code",
        codes.is_item_classification_scheme,
        (
            (f"lines[{i}].classifications[{j}].scheme", c.scheme)
            for i, ln in enumerate(doc.lines)
            for j, c in enumerate(ln.classifications)
        ),
    )


def _addresses(doc: CommercialDocument) -> Iterator[tuple[str, str | None]]:
    for role, party in _parties(doc):
        if party.address is not None:
            yield f"{role}.address.country", party.address.country
    if doc.delivery is not None and doc.delivery.address is not None:
        yield "delivery.address.country", doc.delivery.address.country


@rule(
    "BR-CL-14", "Country codes of addresses (BT-40, BT-55, BT-69, BT-80) shall be ISO 3166-1 alpha-2 codes."
)
def br_cl_14(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    seller, buyer = doc.seller.address, doc.buyer.address
    if (
        (seller is None or codes.is_country(seller.country))
        and (buyer is None or codes.is_country(buyer.country))
        and doc.delivery is None
        and doc.payee is None
        and doc.tax_representative is None
    ):
        return OK
    return _bad("BR-CL-14", "an ISO 3166-1 alpha-2 code", codes.is_country, _addresses(doc))


@rule(
    "BR-CL-15", "The item country of origin (BT-159) shall be an ISO 3166-1 alpha-2 code.", needs="line_codes"
)
def br_cl_15(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _bad(
        "BR-CL-15",
        "an ISO 3166-1 alpha-2 code",
        codes.is_country,
        ((f"lines[{i}].origin_country", ln.origin_country) for i, ln in enumerate(doc.lines)),
    )


@rule("BR-CL-16", "The payment means code (BT-81) shall be a code of UNTDID 4461.", needs="payment")
def br_cl_16(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    code = doc.payment.means_code if doc.payment else None
    return _one("BR-CL-16", "a UNTDID 4461 code", codes.is_payment_means, "payment.means_code", code)


@rule(
    "BR-CL-17",
    "VAT category codes of document allowances, charges and the VAT breakdown "
    "(BT-95, BT-102, BT-118) shall be "
    "UNTDID 5305 codes allowed by EN 16931.",
)
def br_cl_17(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    found = f.allowance_categories | f.charge_categories | set(f.breakdown_categories)
    if all(codes.is_vat_category(c) or blank(c) for c in found):
        return OK

    def items() -> Iterator[tuple[str, str | None]]:
        for group in ("allowances", "charges"):
            for i, ac in enumerate(getattr(doc, group)):
                yield f"{group}[{i}].vat_category", ac.vat_category
        for i, vb in enumerate(doc.vat_breakdown):
            yield f"vat_breakdown[{i}].category", vb.category

    return _bad(
        "BR-CL-17", "a UNTDID 5305 code (S, Z, E, AE, K, G, O, L, M, B)", codes.is_vat_category, items()
    )


@rule(
    "BR-CL-18",
    "The line VAT category code (BT-151) shall be a UNTDID 5305 code allowed by EN 16931.",
    needs="lines",
)
def br_cl_18(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if all(codes.is_vat_category(c) or blank(c) for c in f.line_categories):
        return OK
    return _bad(
        "BR-CL-18",
        "a UNTDID 5305 code (S, Z, E, AE, K, G, O, L, M, B)",
        codes.is_vat_category,
        ((f"lines[{i}].vat_category", ln.vat_category) for i, ln in enumerate(doc.lines)),
    )


def _reason_codes(doc: CommercialDocument, group: str) -> Iterator[tuple[str, str | None]]:
    for i, ac in enumerate(getattr(doc, group)):
        yield f"{group}[{i}].reason_code", ac.reason_code
    for i, ln in enumerate(doc.lines):
        for j, ac in enumerate(getattr(ln, group)):
            yield f"lines[{i}].{group}[{j}].reason_code", ac.reason_code


@rule("BR-CL-19", "Allowance reason codes (BT-98, BT-140) shall be codes of the UNTDID 5189 subset.")
def br_cl_19(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if not doc.allowances and "line_allowances" not in f.present:
        return OK
    return _bad("BR-CL-19", "a UNTDID 5189 code", codes.is_allowance_reason, _reason_codes(doc, "allowances"))


@rule("BR-CL-20", "Charge reason codes (BT-105, BT-145) shall be codes of UNTDID 7161.")
def br_cl_20(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if not doc.charges and "line_charges" not in f.present:
        return OK
    return _bad("BR-CL-20", "a UNTDID 7161 code", codes.is_charge_reason, _reason_codes(doc, "charges"))


@rule(
    "BR-CL-21",
    "An item standard identifier's scheme (BT-157-1) shall be an ISO 6523 ICD code.",
    needs="item_ids",
)
def br_cl_21(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _bad(
        "BR-CL-21",
        "an ISO 6523 ICD code",
        codes.is_icd_scheme,
        (
            (f"lines[{i}].standard_item_id.scheme", ln.standard_item_id.scheme)
            for i, ln in enumerate(doc.lines)
            if ln.standard_item_id is not None
        ),
    )


@rule(
    "BR-CL-22",
    "A VAT exemption reason code (BT-121) shall be a code of the CEF VATEX list.",
    needs="vat_breakdown",
)
def br_cl_22(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _bad(
        "BR-CL-22",
        "a VATEX code (e.g. VATEX-EU-AE)",
        codes.is_vatex,
        (
            (f"vat_breakdown[{i}].exemption_reason_code", vb.exemption_reason_code)
            for i, vb in enumerate(doc.vat_breakdown)
        ),
    )


_UNIT_CODE = attrgetter("unit_code")


@rule("BR-CL-23", "Unit codes (BT-130, BT-150) shall be UN/ECE Recommendation 20 or 21 codes.", needs="lines")
def br_cl_23(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if codes.UNIT_CODES.issuperset(map(_UNIT_CODE, doc.lines)) and "line_codes" not in f.present:
        return OK
    is_unit = codes.is_unit
    out = []
    for i, ln in enumerate(doc.lines):
        if not is_unit(ln.unit_code) and not blank(ln.unit_code):
            out.append(
                violation("BR-CL-23", f"lines[{i}].unit_code", "a UN/ECE Rec 20/21 code", ln.unit_code)
            )
        base = ln.price_base_unit_code
        if base is not None and not blank(base) and not is_unit(base):
            out.append(
                violation("BR-CL-23", f"lines[{i}].price_base_unit_code", "a UN/ECE Rec 20/21 code", base)
            )
    return out


@rule(
    "BR-CL-24",
    "An attachment's MIME code (BT-125-1) shall be one EN 16931 allows (PDF, PNG, JPEG, CSV, XLSX, ODS).",
    needs="attachments",
)
def br_cl_24(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _bad(
        "BR-CL-24",
        "application/pdf, image/png, image/jpeg, text/csv, XLSX or ODS",
        codes.is_mime_code,
        ((f"attachments[{i}].mime_code", a.mime_code) for i, a in enumerate(doc.attachments)),
    )


@rule("BR-CL-25", "An electronic address scheme (BT-34-1, BT-49-1) shall be a code of the CEF EAS list.")
def br_cl_25(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _bad(
        "BR-CL-25",
        "a CEF EAS code (e.g. 0088, 9930)",
        codes.is_eas_scheme,
        (
            (f"{role}.electronic_address.scheme", p.electronic_address.scheme)
            for role, p in (("seller", doc.seller), ("buyer", doc.buyer))
            if p.electronic_address is not None
        ),
    )


@rule(
    "BR-CL-26",
    "The delivery location identifier's scheme (BT-71-1) shall be an ISO 6523 ICD code.",
    needs="delivery",
)
def br_cl_26(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    loc = doc.delivery.location_id if doc.delivery else None
    scheme = loc.scheme if loc else None
    return _one(
        "BR-CL-26", "an ISO 6523 ICD code", codes.is_icd_scheme, "delivery.location_id.scheme", scheme
    )
