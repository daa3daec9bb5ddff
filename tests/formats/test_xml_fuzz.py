"""The fuzz corpus of bad XML kept in ``fuzz/xml`` (file name = expected rule ``RULE__what.xml``), plus
random mutations of good documents: the reader never raises and never returns a document with an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlink.domain.violations import Severity
from ledgerlink.formats import cii, ubl, xml_reader
from ledgerlink.formats.base import ReadResult
from tests.domain.factories import make_credit_note, make_invoice
from tests.formats.xml_samples import SAMPLES

CORPUS_DIR = Path(__file__).parent / "fuzz" / "xml"
CORPUS = sorted(CORPUS_DIR.glob("*.xml"))
KNOWN_RULES = {"XML", "XML-ROOT", "XML-SECURITY", "SCHEMA", "PEPPOL-EN16931-R051"}


def check_result(result: ReadResult) -> None:
    assert isinstance(result, ReadResult)
    assert {v.rule for v in result.violations} <= KNOWN_RULES
    errors = [v for v in result.violations if v.severity is Severity.ERROR]
    if errors:
        assert result.documents == [], "no partial documents"
    else:
        assert len(result.documents) == 1
    for v in result.violations:
        assert v.path and v.message
        assert xml_reader.INTERNAL_ERROR not in v.message, v.message


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 25
    assert {p.name.split("__")[0] for p in CORPUS} == KNOWN_RULES


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_file_gives_its_rule(path: Path) -> None:
    expected_rule = path.name.split("__")[0]
    result = xml_reader.read(path.read_bytes())
    check_result(result)
    assert result.documents == []
    assert expected_rule in {v.rule for v in result.violations}


SEEDS = [p.read_bytes() for p in SAMPLES[:4]] + [
    ubl.write(make_invoice()),
    cii.write(make_invoice()),
    ubl.write(make_credit_note()),
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]))
        pos = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(min_value=0, max_value=255))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(min_value=1, max_value=40))]
        elif op == "insert":
            data[pos:pos] = draw(
                st.sampled_from(
                    [
                        b"&x;",
                        b"<!DOCTYPE a>",
                        b"<cbc:ID>",
                        b"</",
                        b"\x00",
                        b"\xff\xfe",
                        b"<![CDATA[",
                        b"1e9",
                        b"&#0;",
                        b"&#x110000;",
                        b"]]>",
                        b"-->",
                    ]
                )
            )
        elif op == "truncate":
            del data[pos:]
        else:
            end = pos + draw(st.integers(min_value=1, max_value=200))
            data[pos:pos] = data[pos:end]
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_documents_never_raise(data: bytes) -> None:
    check_result(xml_reader.read(data))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data: bytes) -> None:
    check_result(xml_reader.read(data))
