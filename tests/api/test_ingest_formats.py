"""UBL, CII and Factur-X bodies through POST /v1/documents, and documents out in each format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ledgerlink.formats import registry

from tests.conftest import PEPPOL_SAMPLES

SAMPLES = sorted(PEPPOL_SAMPLES.glob("*.xml"))


def post_xml(api: Any, data: bytes, content_type: str = "application/xml") -> Any:
    return api.post("/v1/documents", content=data, headers={"Content-Type": content_type})


@pytest.mark.skipif(not SAMPLES, reason="../shared/samples/peppol-bis3 not present")
def test_every_peppol_sample_is_accepted_once(api: Any) -> None:
    numbers: set[tuple[str, str]] = set()
    held = 0
    for sample in SAMPLES:
        data = sample.read_bytes()
        first = post_xml(api, data)
        assert first.status_code == 201, (sample.name, first.text)
        [entry] = first.json()["documents"]
        # some official samples share an invoice number: the later one is a new version, held
        expected = "held" if (entry["kind"], entry["number"]) in numbers else "received"
        held += expected == "held"
        assert entry["status"] == expected, sample.name
        numbers.add((entry["kind"], entry["number"]))
        again = post_xml(api, data, "text/xml; charset=utf-8").json()["documents"][0]
        assert again["status"] == "duplicate" and again["id"] == entry["id"]
    assert len(api.get("/v1/documents", params={"limit": 100}).json()["documents"]) == len(SAMPLES)
    assert len(api.get("/v1/documents", params={"status": "held"}).json()["documents"]) == held


@pytest.mark.skipif(not SAMPLES, reason="../shared/samples/peppol-bis3 not present")
def test_ubl_cii_and_facturx_of_one_invoice_are_one_document(api: Any) -> None:
    data = (PEPPOL_SAMPLES / "base-example.xml").read_bytes()
    doc_id = post_xml(api, data).json()["documents"][0]["id"]
    cii = api.get(f"/v1/documents/{doc_id}", params={"format": "cii"}).content
    pdf = api.get(f"/v1/documents/{doc_id}", params={"format": "facturx"}).content
    via_cii = registry.read_bytes(cii, "application/xml").documents[0].document
    via_ubl = registry.read_bytes(data, "application/xml").documents[0].document
    assert via_cii.model_dump(exclude={"customization_id", "profile_id"}) == \
        via_ubl.model_dump(exclude={"customization_id", "profile_id"})
    # the CII and the PDF, sent as new uploads, are recognised as the same invoice number
    for body, media in ((pdf, "application/pdf"),):
        answer = api.post("/v1/documents", content=body, headers={"Content-Type": media})
        assert answer.status_code == 201, answer.text
        assert answer.json()["documents"][0]["number"] == via_ubl.number


def test_wrong_root_and_xxe_are_refused_and_nothing_stored(api: Any, tmp_path: Path) -> None:
    wrong = post_xml(api, b"<?xml version='1.0'?><Order xmlns='urn:x'/>")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["rule"] == "XML-ROOT"
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE i [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>').encode()
    refused = post_xml(api, xxe)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["rule"] == "XML-SECURITY"
    assert "TOP-SECRET" not in refused.text
    assert api.get("/v1/documents").json()["documents"] == []


def test_malformed_pdf_is_refused(api: Any) -> None:
    response = api.post("/v1/documents", content=b"%PDF-1.7 truncated", headers={"Content-Type": "application/pdf"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "PDF"
