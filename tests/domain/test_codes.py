"""Code list lookups (ledgerlink.domain.codes) against known facts of each list."""

from __future__ import annotations

import pytest

from ledgerlink.domain import codes


@pytest.mark.parametrize(
    ("code", "minor"),
    [
        ("EUR", 2),
        ("USD", 2),
        ("GBP", 2),
        ("SEK", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("CLF", 4),
    ],
)
def test_currency_minor_units(code: str, minor: int) -> None:
    assert codes.is_currency(code)
    assert codes.currency_minor_units(code) == minor


def test_currency_without_minor_units_and_unknown_codes() -> None:
    assert codes.is_currency("XAU") and codes.currency_minor_units("XAU") is None
    for bad in ("EURO", "eur", "", " EUR", "ABC"):
        assert not codes.is_currency(bad)
    with pytest.raises(KeyError):
        codes.currency_minor_units("ABC")


def test_countries() -> None:
    for good in ("DE", "FR", "GB", "SE", "NO", "GR", "XI", "1A"):
        assert codes.is_country(good)
    for bad in ("EL", "UK", "de", "DEU", ""):
        assert not codes.is_country(bad)


def test_units_cover_the_peppol_samples_and_common_codes() -> None:
    for unit in (
        "C62",
        "EA",
        "H87",
        "DAY",
        "HUR",
        "MON",
        "KGM",
        "MTR",
        "LTR",
        "NAR",
        "XPP",
        "XBX",
        "KWH",
        "ZZ",
    ):
        assert codes.is_unit(unit), unit
    assert not codes.is_unit("PCS") and not codes.is_unit("c62")
    assert len(codes.code_list("units")) > 2000


def test_vat_categories_type_codes_payment_means() -> None:
    assert {c for c in codes.code_list("vat_categories")} == {
        "S",
        "Z",
        "E",
        "AE",
        "K",
        "G",
        "O",
        "L",
        "M",
        "B",
    }
    assert codes.is_invoice_type_code("380") and not codes.is_invoice_type_code("381")
    assert codes.is_credit_note_type_code("381") and not codes.is_credit_note_type_code("380")
    assert codes.is_document_type_code("389") and not codes.is_document_type_code("999")
    for means in ("10", "30", "31", "42", "48", "49", "57", "58", "59", "ZZZ"):
        assert codes.is_payment_means(means)
    assert not codes.is_payment_means("99")


def test_schemes_and_reasons() -> None:
    assert codes.is_eas_scheme("0088") and codes.is_eas_scheme("9930") and codes.is_eas_scheme("0192")
    assert not codes.is_eas_scheme("1234")
    assert codes.is_icd_scheme("0088") and codes.is_icd_scheme("0183") and not codes.is_icd_scheme("SEPA")
    assert (
        codes.is_vatex("VATEX-EU-AE") and codes.is_vatex("vatex-eu-ic") and not codes.is_vatex("VATEX-EU-XYZ")
    )
    assert codes.is_allowance_reason("95") and not codes.is_allowance_reason("FC")
    assert codes.is_charge_reason("FC") and codes.is_charge_reason("CG") and not codes.is_charge_reason("95")
    assert codes.is_vat_point_date_code("3") and not codes.is_vat_point_date_code("4")
    assert codes.is_item_classification_scheme("STI") and codes.is_item_classification_scheme("SRV")
    assert codes.is_mime_code("application/pdf") and not codes.is_mime_code("application/zip")
    assert codes.is_note_subject("AAI") and not codes.is_note_subject("A1")
    assert codes.is_object_id_scheme("ABT")


def test_every_data_file_names_its_rule_and_source() -> None:
    import json
    from importlib.resources import files

    data = files("ledgerlink.domain.codelists")
    names = [p.name for p in data.iterdir() if p.name.endswith(".json")]
    assert len(names) == 17
    for name in names:
        payload = json.loads(data.joinpath(name).read_text(encoding="utf-8"))
        assert payload["rule"].startswith("BR-CL-") and "EN 16931" in payload["source"] and payload["codes"]
