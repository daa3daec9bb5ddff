"""Hostile XML: XXE, external DTDs, entity expansion, network access, truncation, wrong encodings and
size caps."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ledgerlink.formats import ubl, ubl_fast, xml_reader, xml_safety
from ledgerlink.formats.xml_safety import XmlLimits
from tests.formats.test_xml_fuzz import CORPUS, SEEDS
from tests.formats.xml_samples import SAMPLES, SAMPLES_DIR

BASE = (SAMPLES_DIR / "base-example.xml").read_bytes()


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        type(self).hits.append(self.path)
        body = b'<!ENTITY leak "fetched">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def http_server() -> Iterator[str]:
    """A real local HTTP server that records every request made to it."""
    _CountingHandler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def only_rule(data: bytes, **kw: object) -> str:
    result = xml_reader.read(data, **kw)  # type: ignore[arg-type]
    assert result.documents == []
    assert len(result.violations) == 1, result.violations
    return result.violations[0].rule


def test_xxe_file_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>'
    ).encode()
    result = xml_reader.read(data)
    assert [v.rule for v in result.violations] == ["XML-SECURITY"]
    assert "TOP-SECRET" not in repr(result)


def test_billion_laughs_is_refused() -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    data = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{lol}]><r>&l9;</r>'.encode()
    assert only_rule(data) == "XML-SECURITY"


def test_no_network_access_for_external_dtd_or_entities(http_server: str) -> None:
    for data in (
        f'<?xml version="1.0"?><!DOCTYPE Invoice SYSTEM "{http_server}/x.dtd"><Invoice/>'.encode(),
        (
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "{http_server}/p.dtd"> %p;]><r>&leak;</r>'
        ).encode(),
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "{http_server}/e">]><r>&e;</r>'.encode(),
    ):
        assert only_rule(data) == "XML-SECURITY"
    assert _CountingHandler.hits == []


def test_parser_itself_never_fetches_even_past_the_prescan(http_server: str) -> None:
    """Defence in depth: the configured parser alone does not resolve or fetch anything."""
    data = f'<!DOCTYPE r [<!ENTITY e SYSTEM "{http_server}/e">]><r>&e;</r>'.encode()
    root = etree.fromstring(data, xml_safety._parser())
    assert "fetched" not in (root.text or "")
    assert _CountingHandler.hits == []


def test_doctype_hidden_in_utf16_is_refused() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY e "a">]><r>&e;</r>'.encode("utf-16")
    assert only_rule(data) == "XML-SECURITY"


def test_undeclared_entity_is_a_security_violation() -> None:
    assert only_rule(BASE.replace(b"<cbc:Note>", b"<cbc:Note>&passwd;", 1)) == "XML-SECURITY"


@pytest.mark.parametrize("cut", [100, 1000, len(BASE) // 2, len(BASE) - 5])
def test_truncated_document(cut: int) -> None:
    result = xml_reader.read(BASE[:cut])
    assert [v.rule for v in result.violations] == ["XML"]
    assert result.violations[0].path.startswith("line ")


def test_truncated_in_the_middle_is_named_truncated() -> None:
    result = xml_reader.read(BASE[: len(BASE) // 2])
    assert result.violations[0].message.startswith("truncated document")


def test_wrong_encoding() -> None:
    latin1 = BASE.replace(b"<cbc:Note>", "<cbc:Note>Café ".encode("latin-1"), 1)
    result = xml_reader.read(latin1)
    assert [v.rule for v in result.violations] == ["XML"]
    assert result.violations[0].message.startswith("wrong encoding")


def test_declared_latin1_is_read() -> None:
    data = BASE.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').replace(
        b"<cbc:Note>", "<cbc:Note>Café ".encode("latin-1"), 1
    )
    result = xml_reader.read(data)
    assert result.violations == []
    assert result.documents[0].document.payment_terms.startswith("Café ")  # type: ignore[union-attr]


def test_unknown_encoding_declaration() -> None:
    assert only_rule(b'<?xml version="1.0" encoding="klingon"?><x/>') == "XML"


def test_oversized_document_is_refused_before_parsing() -> None:
    result = xml_reader.read(BASE, XmlLimits(max_document_bytes=1000))
    assert result.violations[0].rule == "XML"
    assert result.violations[0].found == f"{len(BASE)} bytes"


def test_oversized_field_is_refused_with_its_xpath() -> None:
    data = BASE.replace(b"<cbc:BuyerReference>", b"<cbc:BuyerReference>" + b"x" * 500, 1)
    result = xml_reader.read(data, XmlLimits(max_field_chars=200))
    assert result.documents == []
    assert [(v.rule, v.path) for v in result.violations] == [("XML", "/Invoice/cbc:BuyerReference")]
    assert result.violations[0].expected == "at most 200 characters"


def test_empty_and_binary_input() -> None:
    assert only_rule(b"") == "XML"
    assert only_rule(b"   \n") == "XML"
    assert only_rule(b"\x00\x01\x02binary") == "XML"


def test_comments_and_processing_instructions_are_harmless() -> None:
    data = BASE.replace(b"<cbc:ID>", b"<!-- c --><?pi x?><cbc:ID>", 1)
    result = xml_reader.read(data)
    assert result.violations == [] and len(result.documents) == 1


# ----------------------------------------------------------------------------- the pre-scan, the parser

MARKER_PIECES = [b"<", b"!", b"<!", b"<!--", b"-->", b"D", b"\x00", b"DOCTYPE", b"OCTYPE", b"ENTITY", b"<!E",
                 b"<!D", b"<!\x00D\x00O\x00C\x00T\x00Y\x00P\x00E", b"x", b" ", b"<a>"]


@st.composite
def scanned_bytes(draw: st.DrawFn) -> bytes:
    data = b"".join(draw(st.lists(st.sampled_from(MARKER_PIECES), max_size=30)))
    if draw(st.booleans()):  # around the end of the scanned head
        pad = xml_safety.HEAD_BYTES - draw(st.integers(min_value=0, max_value=12))
        data = b"y" * pad + data
    return data


@settings(max_examples=1500, deadline=None)
@given(scanned_bytes())
def test_dtd_prescan_is_the_pattern_searched_in_the_head(data: bytes) -> None:
    expected = xml_safety._DTD_MARKERS.search(data[: xml_safety.HEAD_BYTES]) is not None
    assert xml_safety.has_dtd_marker(data) is expected
    assert xml_safety.has_dtd_marker(bytearray(data)) is expected


def test_a_doctype_inside_a_comment_is_still_refused() -> None:
    data = BASE.replace(b"<cbc:ID>", b"<!-- <!DOCTYPE x> --><cbc:ID>", 1)
    assert only_rule(data) == "XML-SECURITY"


def test_each_thread_parses_with_its_own_parser() -> None:
    parsers: list[etree.XMLParser] = []
    results = []

    def work() -> None:
        parsers.append(xml_safety._thread_parser())
        results.append(xml_reader.read(BASE))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(p) for p in parsers}) == 4
    assert xml_safety._thread_parser() is xml_safety._thread_parser()
    assert all(r.violations == [] and len(r.documents) == 1 for r in results)


def _keeping_blanks() -> etree.XMLParser:
    """The hardened parser as it was before blank text was dropped (the comparison below)."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
        remove_comments=True, remove_pis=True, collect_ids=False,
    )


def _read_both_ways(data: bytes) -> None:
    dropped, _ = xml_safety.parse(data)
    if dropped is None:
        return
    kept = etree.fromstring(data, _keeping_blanks())
    assert xml_reader.read_root(dropped) == xml_reader.read_root(kept)
    if kept.tag in (ubl_fast.INVOICE_TAG, ubl_fast.CREDIT_NOTE_TAG):
        assert ubl.read_invoice(dropped, fast=False) == ubl.read_invoice(kept, fast=False)


@pytest.mark.parametrize("sample", SAMPLES + CORPUS, ids=[p.name for p in SAMPLES + CORPUS])
def test_dropping_blank_text_changes_no_reading(sample: Path) -> None:
    _read_both_ways(sample.read_bytes())


BLANKS = [b" ", b"\n  ", b"\t", b"\r\n"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(BLANKS)), max_size=12),
)
def test_blank_text_anywhere_changes_no_reading(seed: bytes, blanks: list[tuple[int, bytes]]) -> None:
    """Whitespace put before and after tags (inside values too) reads the same with or without blank text."""
    data = bytearray(seed)
    tags = [i for i in range(len(data)) if data[i] == 0x3C]  # "<"
    for where, blank in sorted(blanks, reverse=True):
        at = tags[where % len(tags)]
        data[at:at] = blank
    _read_both_ways(bytes(data))
