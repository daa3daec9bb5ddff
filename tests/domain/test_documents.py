"""Decimal fields of the canonical model: exact from JSON and from Python, never through a float."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from ledgerlink.domain.documents import InvoiceLine, Totals
from ledgerlink.formats import canonical
from ledgerlink.formats.registry import read_canonical_json
from tests.domain.factories import make_invoice

LINE = {"id": "1", "quantity": "3", "unit_code": "C62", "net_amount": "37.50", "net_price": "12.50",
        "vat_category": "S", "vat_rate": "21", "name": "Widget"}


def line_json(**changes: object) -> bytes:
    return json.dumps({**LINE, **changes}).encode()


def test_json_strings_and_integer_tokens_become_exact_decimals() -> None:
    line = InvoiceLine.model_validate_json(line_json(quantity=3, net_price="12.500000000000000000001"))
    assert line.quantity == Decimal(3) and isinstance(line.quantity, Decimal)
    assert line.net_price == Decimal("12.500000000000000000001")
    big = InvoiceLine.model_validate_json(line_json(quantity=123456789012345678901234567890))
    assert big.quantity == Decimal("123456789012345678901234567890")


def test_a_json_number_with_a_fraction_is_refused_by_the_model_and_read_exactly_by_the_reader() -> None:
    raw = line_json().replace(b'"net_price": "12.50"', b'"net_price": 12.500000000000000000001')
    with pytest.raises(ValidationError) as refused:
        InvoiceLine.model_validate_json(raw)
    assert refused.value.errors()[0]["loc"][0] == "net_price"
    obj = canonical.to_obj(make_invoice())
    stated = obj["totals"]["payable_amount"]
    obj["totals"]["payable_amount"] = "@"
    exact = json.dumps(obj).replace('"@"', stated + "000000000000000000001")  # a JSON number token
    result = read_canonical_json(exact.encode())
    payable = result.documents[0].document.totals.payable_amount  # type: ignore[union-attr]
    assert payable == Decimal(stated + "000000000000000000001")


@pytest.mark.parametrize("value", ['"NaN"', '"Infinity"', '"-inf"', '"sNaN"', '"12,50"', '""', "true", "null"])
def test_json_values_that_are_not_finite_decimals_are_refused(value: str) -> None:
    raw = line_json().replace(b'"net_price": "12.50"', b'"net_price": ' + value.encode())
    with pytest.raises(ValidationError) as refused:
        InvoiceLine.model_validate_json(raw)
    assert [e["loc"] for e in refused.value.errors()] and all(e["loc"][0] == "net_price" for e in refused.value.errors())


def test_python_callers_pass_decimal_int_or_text_but_never_a_float() -> None:
    fields = {**LINE, "quantity": 3, "net_amount": Decimal("37.50"), "net_price": "12.50"}
    line = InvoiceLine(**fields)
    assert (line.quantity, line.net_amount, line.net_price) == (Decimal(3), Decimal("37.50"), Decimal("12.50"))
    with pytest.raises(ValidationError, match="must not be a binary float"):
        InvoiceLine(**{**fields, "net_price": 12.5})
    for bad in (Decimal("NaN"), Decimal("Infinity"), "-Infinity"):
        with pytest.raises(ValidationError, match="finite"):
            InvoiceLine(**{**fields, "net_price": bad})


def test_decimals_serialise_as_strings_and_are_documented_as_number_or_string() -> None:
    totals = Totals(line_extension_amount=Decimal("1.50"), tax_exclusive_amount=Decimal("1.50"),
                    tax_amount=Decimal("0"), tax_inclusive_amount=Decimal("1.50"), payable_amount=Decimal("1.50"))
    assert json.loads(totals.model_dump_json())["payable_amount"] == "1.50"
    schema = TypeAdapter(Totals).json_schema()
    assert schema["properties"]["payable_amount"]["anyOf"] == [{"type": "number"}, {"type": "string"}]

