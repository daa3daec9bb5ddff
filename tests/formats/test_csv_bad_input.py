"""Bad CSV input: each problem names its row and column, and the document it touches is not produced."""

from __future__ import annotations

import io
import resource

from ledgerlink.formats.csvprofiles import iter_documents, load_profile, read_bytes
from tests.formats.test_csv_samples import SAGE50, SELLER, XERO


def read(data: str | bytes, profile: str = "sage50-audit-trail"):
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return read_bytes(raw, profile, defaults=SELLER)


def numbers(result) -> list[str]:
    return [f.document.number for f in result.documents]


def paths(result) -> list[str]:
    return [v.path for v in result.violations]


def replace_cell(text: str, row: int, column: int, value: str) -> str:
    lines = text.splitlines(keepends=True)
    cells = lines[row - 1].rstrip("\n").split(",")
    cells[column] = value
    lines[row - 1] = ",".join(cells) + "\n"
    return "".join(lines)


def test_missing_column_is_named_and_nothing_is_read():
    lines = [",".join(c for i, c in enumerate(line.split(",")) if i != 8) for line in SAGE50.splitlines()]
    result = read("\n".join(lines) + "\n")
    assert result.documents == []
    assert paths(result) == ["row 1, column 'Tax Code'"]
    assert "missing" in result.violations[0].message
    assert "Tax Code" in (result.violations[0].expected or "")


def test_extra_column_is_named_and_nothing_is_read():
    lines = SAGE50.splitlines()
    text = "\n".join([lines[0] + ",Colour"] + [line + ",red" for line in lines[1:]]) + "\n"
    result = read(text)
    assert result.documents == []
    assert paths(result) == ["row 1, column 'Colour'"]


def test_duplicate_column():
    lines = SAGE50.splitlines()
    text = "\n".join([lines[0].replace("Cost Code", "Details")] + lines[1:]) + "\n"
    result = read(text)
    assert result.documents == [] and "row 1, column 'Details'" in paths(result)


def test_bad_date_drops_only_its_document():
    result = read(replace_cell(SAGE50, 3, 4, "31/02/2026"))
    assert paths(result) == ["row 3, column 'Date'"]
    assert result.violations[0].found == "31/02/2026"
    assert result.violations[0].message == "not a date in the profile's format"
    assert result.violations[0].expected == "a date like 31/03/2026 or 31/03/26"
    assert numbers(result) == ["10235", "CN0042"]  # 10234 (rows 2-4) is not produced at all


def test_bad_number():
    result = read(replace_cell(SAGE50, 6, 7, "99.9x"))
    assert paths(result) == ["row 6, column 'Net Amount'"]
    assert result.violations[0].found == "99.9x" and result.violations[0].rule == "CSV"
    assert numbers(result) == ["10234", "CN0042"]


def test_not_a_number_forms_are_refused():
    for bad in ("NaN", "1e3", "Infinity", "1_000.00", "£10.00", "10.00-"):
        result = read(replace_cell(SAGE50, 7, 9, bad))
        assert paths(result) == ["row 7, column 'Tax Amount'"], bad
        assert numbers(result) == ["10234", "10235"]


def test_unknown_tax_code():
    result = read(replace_cell(SAGE50, 2, 8, "T7"))
    (problem,) = result.violations
    assert problem.path == "row 2, column 'Tax Code'" and problem.found == "T7"
    assert "T1" in (problem.expected or "")
    assert numbers(result) == ["10235", "CN0042"]


def test_unknown_document_type():
    result = read(replace_cell(SAGE50, 6, 0, "XX"))
    assert paths(result) == ["row 6, column 'Type'"]
    assert numbers(result) == ["10234", "CN0042"]


def test_mixed_currencies_in_one_document():
    rows = XERO.split("\r\n")
    rows[2] = rows[2].replace(",GBP,", ",EUR,")
    result = read("\r\n".join(rows), "xero-sales-invoices")
    (problem,) = result.violations
    assert problem.path == "row 3, column 'Currency'"
    assert (problem.expected, problem.found) == ("GBP", "EUR")
    assert numbers(result) == ["CN-0007"]


def test_wrong_encoding_with_explicit_profile_encoding(tmp_path):
    profile = tmp_path / "utf8.toml"
    profile.write_text('extends = "sage50-audit-trail"\n[format]\nencoding = "utf-8"\n')
    data = SAGE50.replace("Printed manuals", "Crème brûlée").encode("cp1252")
    result = read_bytes(data, str(profile), defaults=SELLER)
    (problem,) = result.violations
    assert problem.path == "row 3, column 'Details'"
    assert "not valid utf-8" in problem.message
    assert "\\xe8" in (problem.found or "")
    assert numbers(result) == ["10235", "CN0042"]


def test_undecodable_bytes_after_the_detection_sample():
    header, *rows = SAGE50.splitlines(keepends=True)
    filler = [f"SI,FIL001,4000,0,01/03/2026,F{i:05d},Filler,1.00,T1,0.20,1.00,,U,,\n" for i in range(1500)]
    bad = "SI,LAT001,4000,0,01/03/2026,LATE1,Caf\xe9,1.00,T1,0.20,1.00,,U,,\n"
    data = (header + "".join(filler)).encode("utf-8") + bad.encode("cp1252") + "".join(rows).encode("utf-8")
    assert len(data) > 65_536
    result = read(data)
    (problem,) = result.violations
    assert problem.path == f"row {len(filler) + 2}, column 'Details'"
    assert "LATE1" not in numbers(result) and "CN0042" in numbers(result) and "F01499" in numbers(result)


def test_undetectable_encoding_stops_at_row_1():
    data = SAGE50.replace("Printed manuals", "Printed \x81 manuals").encode("latin-1")
    result = read(data)
    assert result.documents == [] and paths(result) == ["row 1"]
    assert "encoding" in result.violations[0].message


def test_latin1_named_in_the_profile_reads_any_byte(tmp_path):
    profile = tmp_path / "latin.toml"
    profile.write_text('extends = "sage50-audit-trail"\n[format]\nencoding = "latin-1"\n')
    data = SAGE50.replace("Printed manuals", "Printed \x81 manuals").encode("latin-1")
    result = read_bytes(data, str(profile), defaults=SELLER)
    assert result.violations == [] and result.documents[0].document.lines[1].name == "Printed \x81 manuals"


def test_truncated_last_row():
    text = SAGE50[: SAGE50.rindex("Overcharge")]  # the credit note's row is cut, no newline
    result = read(text)
    (problem,) = result.violations
    assert problem.path == "row 7" and "columns" in problem.message
    assert numbers(result) == ["10234", "10235"]


def test_truncated_inside_a_quoted_cell():
    text = SAGE50[: SAGE50.rindex("Overcharge")] + '"Overcharge Mar'
    result = read(text)
    assert paths(result) == ["row 7"] and "malformed" in result.violations[0].message
    # a row that cannot be split into cells names no document: the one before it is voided too
    assert numbers(result) == ["10234"]


def test_unreadable_row_voids_the_documents_on_both_sides():
    header, a, b, c, _receipt, other, credit = SAGE50.splitlines(keepends=True)
    result = read(header + a + b + c + '"broken"row,\n' + other + credit)
    assert paths(result) == ["row 5", "row 6"]
    assert "unreadable row 5" in result.violations[1].message
    assert numbers(result) == ["CN0042"]


def test_unreadable_row_inside_a_document():
    header, a, b, c, _receipt, other, credit = SAGE50.splitlines(keepends=True)
    result = read(header + a + b + '"broken"row,\n' + c + other + credit)
    assert paths(result) == ["row 4"]  # rows 2-5 share the key: one voided document
    assert numbers(result) == ["10235", "CN0042"]


def test_different_date_within_a_document():
    result = read(replace_cell(SAGE50, 3, 4, "16/03/2026"))
    (problem,) = result.violations
    assert problem.path == "row 3, column 'Date'" and "same issue_date" in problem.message
    assert (problem.expected, problem.found) == ("15/03/2026", "16/03/2026")


def test_row_with_too_many_cells_in_the_middle():
    result = read(replace_cell(SAGE50, 3, 6, "Printed, manuals"))
    assert paths(result) == ["row 3"]
    assert numbers(result) == ["10235", "CN0042"]


def test_oversized_cell():
    result = read(replace_cell(SAGE50, 3, 6, "x" * 1500))  # the profile allows 1000 characters
    (problem,) = result.violations
    assert problem.path == "row 3, column 'Details'" and problem.found == "1500 characters"
    assert numbers(result) == ["10235", "CN0042"]


def test_oversized_line_is_not_held_in_memory():
    profile = load_profile("sage50-audit-trail", {"defaults": SELLER})
    header, *rows = SAGE50.splitlines(keepends=True)
    huge = rows[0].replace("Consultancy March", "y" * 40_000_000)
    data = (header + huge + "".join(rows[1:])).encode()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    items = list(iter_documents(io.BytesIO(data), profile))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    problems = [i for i in items if not hasattr(i, "document")]
    assert {p.path for p in problems} == {"row 2", "row 2, column 'Details'"}
    assert {"the line is too long and was not read", "the row has 7 columns, the header 15"} <= {
        p.message for p in problems
    }
    assert [i.document.number for i in items if hasattr(i, "document")] == ["10235", "CN0042"]
    assert grown_mb < 60  # the 40 MB line was skipped in 1 MiB pieces (the input itself is already resident)


def test_empty_file():
    result = read(b"")
    assert result.documents == [] and paths(result) == ["row 1"]
    assert result.violations[0].message == "the file is empty"


def test_blank_lines_only():
    result = read("\n\n\n")
    assert result.documents == [] and paths(result) == ["row 1"]


def test_rows_of_one_document_must_be_contiguous():
    header, a, b, c, _receipt, other, credit = SAGE50.splitlines(keepends=True)
    result = read(header + a + b + other + c + credit)
    (problem,) = result.violations
    assert problem.path == "row 5" and "contiguous" in problem.message
    assert "rows 2-3" in (problem.expected or "")
    # rows 2-3 were produced before row 5 came; row 5 is refused (never a second 10234) and the
    # violation says the earlier 10234 is incomplete, so a consumer keeping the file whole stores nothing
    assert numbers(result) == ["10234", "10235", "CN0042"]


def test_profile_without_seller_is_reported_once():
    result = read_bytes(SAGE50.encode(), "sage50-audit-trail")
    assert result.documents == []
    (problem,) = result.violations
    assert problem.rule == "CSV-PROFILE" and "seller_name" in problem.path


def test_empty_seller_column_without_default_is_a_row_error():
    from tests.formats.test_csv_samples import GENERIC

    text = GENERIC.replace("Verkäufer AG", "", 1)
    result = read_bytes(text.encode(), "generic")
    assert paths(result) == ["row 2, column 'SellerName'"]
    assert result.documents == []


def test_missing_item_name_and_amount():
    text = replace_cell(replace_cell(SAGE50, 6, 6, ""), 6, 7, "")
    result = read(text)
    assert paths(result) == ["row 6, column 'Net Amount'", "row 6, column 'Details'"]
    assert numbers(result) == ["10234", "CN0042"]


def test_several_problems_in_one_document_are_all_reported_in_row_order():
    text = replace_cell(replace_cell(SAGE50, 4, 8, "T8"), 2, 7, "abc")
    result = read(text)
    assert paths(result) == ["row 2, column 'Net Amount'", "row 4, column 'Tax Code'"]


def test_short_row_naming_no_document_is_reported_and_voids_the_next():
    header, *_, other, credit = SAGE50.splitlines(keepends=True)
    result = read(header + "SI,BRO001\n" + other + credit)
    assert paths(result) == ["row 2", "row 3"]
    assert "2 columns" in result.violations[0].message and "unreadable row 2" in result.violations[1].message
    assert numbers(result) == ["CN0042"]


def test_too_many_rows_in_one_document(tmp_path):
    profile = tmp_path / "small.toml"
    profile.write_text('extends = "sage50-audit-trail"\n[format]\nmax_rows_per_document = 2\n')
    result = read_bytes(SAGE50.encode(), str(profile), defaults=SELLER)
    assert paths(result) == ["row 4"] and "too many rows" in result.violations[0].message
    assert numbers(result) == ["10235", "CN0042"]
