"""``ledgerlink convert`` and ``ledgerlink validate``: in process through typer's runner, and once as the
installed console script a user runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerlink.formats import cii, facturx, ubl, xml_reader
from tests.domain.factories import make_invoice, set_path
from tests.formats.xml_samples import SAMPLES, SAMPLES_DIR

FUZZ = Path(__file__).parent / "fuzz" / "xml"
SELLER_COLUMNS = "Seller GmbH,DE123456789,DE,DE,2026-03-31\r\n"
GENERIC_CSV = (
    "InvoiceNumber,DocumentType,IssueDate,Currency,BuyerName,LineDescription,Quantity,UnitPrice,LineNetAmount,"
    "VatRate,SellerName,SellerVatId,SellerCountry,BuyerCountry,DueDate\r\n"
    "G-1,invoice,2026-03-01,EUR,Buyer One,Widget,2,10.00,20.00,19,"
    + SELLER_COLUMNS
    + "G-1,invoice,2026-03-01,EUR,Buyer One,Gadget,1,5.00,5.00,19,"
    + SELLER_COLUMNS
    + "G-2,invoice,2026-03-02,EUR,Buyer Two,Widget,1,10.00,10.00,19,"
    + SELLER_COLUMNS
)


class Run:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def ledgerlink(*args: str | Path) -> Run:
    """The command run in process (the app object the console script runs)."""
    from typer.testing import CliRunner

    from ledgerlink.cli.main import app

    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def test_console_script_validates_the_samples() -> None:
    exe = shutil.which("ledgerlink", path=str(Path(sys.executable).parent))
    assert exe is not None, "the ledgerlink console script is installed with the package"
    run = subprocess.run([exe, "validate", *map(str, SAMPLES)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""
    bad = subprocess.run(
        [exe, "validate", str(FUZZ / "XML-ROOT__svg.xml")], capture_output=True, text=True, timeout=300
    )
    assert bad.returncode == 1
    assert bad.stdout.startswith(f"{FUZZ / 'XML-ROOT__svg.xml'}: XML-ROOT /svg: ")


def test_validate_all_samples_passes() -> None:
    run = ledgerlink("validate", *SAMPLES)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""


def test_validate_reports_one_line_per_failure(tmp_path: Path) -> None:
    bad = FUZZ / "PEPPOL-EN16931-R051__mixed-currency.xml"
    xxe = FUZZ / "XML-SECURITY__xxe-file.xml"
    run = ledgerlink("validate", SAMPLES[0], bad, xxe)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines == [
        f"{bad}: PEPPOL-EN16931-R051 /Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount/@currencyID: "
        "amount currency differs from the document currency (BT-5) (expected EUR, found USD)",
        f"{xxe}: XML-SECURITY /: document type declarations and entities are refused (XXE / entity expansion "
        "protection) (expected no <!DOCTYPE> and no <!ENTITY>, found <!DOCTYPE ...>)",
    ]


def test_validate_reports_en16931_rule_failures(tmp_path: Path) -> None:
    doc = set_path(make_invoice(), "totals.line_extension_amount", Decimal("1.00"))
    path = tmp_path / "bad-total.xml"
    path.write_bytes(ubl.write(doc))
    run = ledgerlink("validate", path)
    assert run.returncode == 1
    assert any(line.startswith(f"{path}: BR-") for line in run.stdout.splitlines()), run.stdout


def test_validate_json(tmp_path: Path) -> None:
    run = ledgerlink("validate", "--json", FUZZ / "XML-ROOT__ubl-order.xml")
    assert run.returncode == 1
    (item,) = json.loads(run.stdout)
    assert item["rule"] == "XML-ROOT" and item["path"] == "/Order" and item["severity"] == "error"
    assert item["file"].endswith("XML-ROOT__ubl-order.xml")


def test_validate_missing_file(tmp_path: Path) -> None:
    run = ledgerlink("validate", tmp_path / "nope.xml")
    assert run.returncode == 1
    assert ": IO " in run.stdout


@pytest.mark.parametrize(
    "to, suffix", [("cii", ".xml"), ("ubl", ".xml"), ("json", ".json"), ("facturx", ".pdf")]
)
def test_convert_sample(tmp_path: Path, to: str, suffix: str) -> None:
    source = SAMPLES_DIR / "Norwegian-example-1.xml"
    out = tmp_path / f"out{suffix}"
    run = ledgerlink("convert", source, out, "--to", to)
    assert run.returncode == 0, run.stdout + run.stderr
    expected = xml_reader.read(source.read_bytes()).documents[0].document
    if to == "json":
        back = ledgerlink("validate", out)
        assert back.returncode == 0, back.stdout
        return
    data = out.read_bytes()
    result = facturx.read(data) if to == "facturx" else xml_reader.read(data)
    assert result.violations == []
    got = result.documents[0].document
    if to == "facturx":
        expected = expected.model_copy(update={"customization_id": cii.EN16931_GUIDELINE})
    assert got == expected


def test_convert_chooses_format_from_extension(tmp_path: Path) -> None:
    out = tmp_path / "invoice.pdf"
    assert ledgerlink("convert", SAMPLES_DIR / "base-example.xml", out).returncode == 0
    assert out.read_bytes().startswith(b"%PDF-")


def test_convert_refuses_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.xml"
    run = ledgerlink("convert", FUZZ / "XML__truncated-ubl.xml", out)
    assert run.returncode == 1
    assert run.stdout.startswith(f"{FUZZ / 'XML__truncated-ubl.xml'}: XML line ")
    assert not out.exists()


def test_convert_unknown_format(tmp_path: Path) -> None:
    run = ledgerlink("convert", SAMPLES[0], tmp_path / "x.out", "--to", "docx")
    assert run.returncode == 2
    assert "unknown output format" in run.stderr


def test_convert_csv_writes_one_file_per_document(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text(GENERIC_CSV, encoding="utf-8")
    out = tmp_path / "cii"
    run = ledgerlink("convert", source, out, "--profile", "generic", "--to", "cii")
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["G-1.xml", "G-2.xml"]
    doc = xml_reader.read((out / "G-1.xml").read_bytes()).documents[0].document
    assert len(doc.lines) == 2  # type: ignore[union-attr]
    assert ledgerlink("validate", *sorted(out.iterdir())).returncode == 0


def test_csv_without_profile_is_an_error(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text(GENERIC_CSV, encoding="utf-8")
    run = ledgerlink("validate", source)
    assert run.returncode == 1
    assert f"{source}: CSV-PROFILE" in run.stdout
