"""Canonical JSON reading: schema errors name the field and say in words what it wanted."""

from __future__ import annotations

import pytest

from ledgerlink.formats.registry import read_canonical_json


@pytest.mark.parametrize(
    ("body", "path", "expected"),
    [
        (b'{"kind": "order"}', "kind", "a kind: invoice, credit_note, statement or ledger_update"),
        (b'{"number": "1"}', "kind", "a kind: invoice, credit_note, statement or ledger_update"),
        (b'{"kind": "invoice", "issue_date": "2026-13-01"}', "issue_date", "a date YYYY-MM-DD"),
        (b'{"kind": "invoice", "number": 5}', "number", "text"),
        (b'{"kind": "invoice"}', "currency", "a value (the field is required)"),
        (b'{"kind": "invoice", "colour": "red"}', "colour", "no such field (see the Document schema in /openapi.json)"),
        (b'{"kind": "invoice", "lines": [{"net_price": "twelve"}]}', "lines[0].net_price",
         'a decimal number, best as text ("12.50")'),
        (b'{"kind": "invoice", "seller": {"name": "S", "electronic_address": {"value": "", "scheme": "0088"}}}',
         "seller.electronic_address.value", "at least 1 character"),
    ],
)
def test_schema_errors_say_in_words_what_the_field_wanted(body: bytes, path: str, expected: str) -> None:
    found = {v.path: v.expected for v in read_canonical_json(body).violations}
    assert found.get(path) == expected, found
