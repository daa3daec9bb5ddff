"""Layout profiles: built-ins load, user files extend them, broken files are refused with their TOML path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ledgerlink.formats.csvprofiles import ProfileError, builtin_profiles, load_profile
from ledgerlink.formats.csvprofiles.cells import (
    CellError,
    date_parser,
    detect_delimiter,
    detect_encoding,
    number_parser,
)
from ledgerlink.formats.csvprofiles.fields import Field

BUILTINS = [
    "generic",
    "quickbooks-invoices",
    "sage200-customer-transactions",
    "sage50-audit-trail",
    "xero-sales-invoices",
]


def test_builtin_profiles_are_listed_and_load():
    assert builtin_profiles() == BUILTINS
    for name in BUILTINS:
        profile = load_profile(name)
        assert profile.name == name
        assert Field.NUMBER in profile.columns


def test_sage50_tax_codes_and_types():
    profile = load_profile("sage50-audit-trail")
    codes = {code: (spec.category.value, spec.rate) for code, spec in profile.tax_codes.items()}
    assert codes["T0"] == ("Z", Decimal(0))
    assert codes["T1"] == ("S", Decimal(20))
    assert codes["T2"][0] == "E" and codes["T5"] == ("S", Decimal(5)) and codes["T9"][0] == "O"
    assert profile.document_type.invoice == ("SI",) and profile.document_type.credit_note == ("SC",)
    assert (
        profile.format.header[:3] == ("Type", "Account Ref", "Nominal Code")
        and len(profile.format.header) == 15
    )


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_profile_file_extends_a_builtin(tmp_path):
    path = write(
        tmp_path, 'extends = "xero-sales-invoices"\nname = "ours"\n[defaults]\nseller_name = "Us Ltd"\n'
    )
    profile = load_profile(path)
    assert profile.name == "ours" and profile.defaults[Field.SELLER_NAME] == "Us Ltd"
    assert profile.tax_codes["20% (VAT on Income)"].rate == Decimal(20)  # inherited


def test_extends_a_file_relative_to_the_extending_file(tmp_path):
    write(tmp_path, 'extends = "generic"\nname = "base"\n[defaults]\nseller_country = "FR"\n', "base.toml")
    path = write(
        tmp_path, 'extends = "base.toml"\nname = "child"\n[defaults]\nseller_name = "S"\n', "child.toml"
    )
    profile = load_profile(str(path))
    assert profile.defaults[Field.SELLER_COUNTRY] == "FR" and profile.defaults[Field.SELLER_NAME] == "S"


def test_extends_loop_is_refused(tmp_path):
    write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    with pytest.raises(ProfileError, match="loops back"):
        load_profile(tmp_path / "a.toml")


def test_unknown_builtin_names_the_builtins():
    with pytest.raises(ProfileError) as info:
        load_profile("sage-99")
    assert "sage50-audit-trail" in str(info.value)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "nope.toml")
    with pytest.raises(ProfileError, match="TOML"):
        load_profile(write(tmp_path, "name = \n"))


@pytest.mark.parametrize(
    ("override", "path_fragment"),
    [
        ('[columns]\nnot_a_field = "Type"\n', "columns.not_a_field"),
        ('[columns]\nnumber = "No Such Column"\n', "columns.number"),
        ('[format]\nencoding = "klingon"\n', "format.encoding"),
        ('[format]\ndelimiter = "::"\n', "format.delimiter"),
        ('[format]\ndate_formats = ["%d/%m"]\n', "format.date_formats"),
        ('[format]\ndecimal_separator = "_"\n', "format.decimal_separator"),
        ("[format]\nmax_field_length = 0\n", "format.max_field_length"),
        ('[grouping]\nkey = ["due_date"]\n', "grouping.key"),
        ('[tax_codes]\nT1 = { category = "X", rate = "20" }\n', "tax_codes.T1.category"),
        ('[tax_codes]\nT1 = { category = "S", rate = "120" }\n', "tax_codes.T1.rate"),
        ('[defaults]\ntax_code = "T8"\n', "defaults.tax_code"),
        ('[defaults]\nissue_date = "2026-01-01"\n', "defaults.issue_date"),
        ('[document_type]\ncredit_note = ["SI"]\n', "document_type"),
        ('[document_type]\ncredit_note_amounts = "sometimes"\n', "document_type.credit_note_amounts"),
        ("surprise = 1\n", "surprise"),
        ('[defaults]\nquantity = "two"\n', "defaults.quantity"),
        ('[defaults]\ntotal_gross = "10.00"\n', "defaults.total_gross"),
        ('[defaults]\nnumber = "1"\n', "defaults.number"),
    ],
)
def test_broken_profiles_name_the_toml_path(tmp_path, override, path_fragment):
    path = write(tmp_path, 'extends = "sage50-audit-trail"\n' + override)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert any(p.startswith(path_fragment) or path_fragment in p for p in info.value.problems), (
        info.value.problems
    )
    assert str(path) in str(info.value)


def test_profile_without_tax_source_or_amount_is_refused(tmp_path):
    text = (
        'name = "tiny"\n[format]\nheader = ["No", "Date"]\n[columns]\nnumber = "No"\nissue_date = "Date"\n'
        '[grouping]\nkey = ["number"]\n'
    )
    with pytest.raises(ProfileError) as info:
        load_profile(write(tmp_path, text))
    problems = " | ".join(info.value.problems)
    assert "currency" in problems and "line_net_amount or unit_price" in problems and "tax_code" in problems


def test_numbers_in_each_format():
    plain = number_parser()
    assert (
        plain("1234.50") == Decimal("1234.50")
        and plain("-0.5") == Decimal("-0.5")
        and plain(".5") == Decimal(".5")
    )
    european = number_parser(",", ".")
    assert european("1.234.567,89") == Decimal("1234567.89") and european("12,5") == Decimal("12.5")
    for bad in ("1.2.3", "12.34,5", "1,23,456", "1e5", "NaN", " ", "+", "1 000"):
        with pytest.raises(CellError):
            european(bad)
    uk = number_parser(".", ",")
    assert uk("1,200.00") == Decimal("1200.00")
    with pytest.raises(CellError):
        uk("12,00")


def test_dates_by_format_order():
    parse = date_parser(("%d/%m/%Y", "%Y-%m-%d"))
    assert str(parse("05/04/2026")) == "2026-04-05" and str(parse("2026-04-05")) == "2026-04-05"
    with pytest.raises(CellError) as info:
        parse("2026/04/05")
    assert info.value.expected == "a date like 31/03/2026 or 2026-03-31"


def test_encoding_detection_rules():
    assert detect_encoding(b"\xef\xbb\xbfa,b") == "utf-8-sig"
    assert detect_encoding("a,b".encode("utf-16")) == "utf-16"
    assert detect_encoding("Café".encode()) == "utf-8"
    assert detect_encoding("Café £5".encode("cp1252")) == "windows-1252"
    with pytest.raises(ValueError):
        detect_encoding(b"a\x81b\xe9")


def test_delimiter_detection():
    assert detect_delimiter("a;b;c\n") == ";"
    assert detect_delimiter('"x,y";b;c\n') == ";"
    assert detect_delimiter("a\tb\n") == "\t"
    with pytest.raises(ValueError):
        detect_delimiter("a;b,c\n")


def test_the_documented_example_profile_loads_and_reads(tmp_path):
    doc = (Path(__file__).parents[2] / "docs" / "csv-profiles.md").read_text(encoding="utf-8")
    example = doc.split("## The profile file\n\n```toml\n")[1].split("```")[0]
    profile = load_profile(write(tmp_path, example))
    from ledgerlink.formats.csvprofiles import read_bytes

    data = (
        "InvoiceNo,Type,InvoiceDate,Customer,Description,Amount,VAT,TaxCode\n"
        "7,Sales invoice,01/02/2026,Cafe Uno,Beans,10.00,2.00,T1\n"
        "8,Sales credit note,02/02/2026,Cafe Uno,Returned beans,10.00,2.00,T1\n"
    )
    result = read_bytes(data.encode(), profile)
    assert result.violations == []
    assert [f.document.kind for f in result.documents] == ["invoice", "credit_note"]


def test_empty_column_removes_an_inherited_mapping(tmp_path):
    path = write(tmp_path, 'extends = "sage50-audit-trail"\n[columns]\nproject_reference = ""\n')
    assert Field.PROJECT_REFERENCE not in load_profile(path).columns


def test_read_bytes_reports_a_bad_profile_as_a_violation():
    from ledgerlink.formats.csvprofiles import read_bytes

    result = read_bytes(b"a,b\n", "no-such-profile")
    assert result.documents == [] and [v.rule for v in result.violations] == ["CSV-PROFILE"]
    result = read_bytes(b"a,b\n", load_profile("generic"), defaults={"not_a_field": "x"})
    assert result.violations and result.violations[0].rule == "CSV-PROFILE"
    assert "defaults.not_a_field" in result.violations[0].message
