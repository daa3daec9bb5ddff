"""XML bytes → canonical documents: UBL Invoice, UBL CreditNote or CII CrossIndustryInvoice by root element.

Rules: one hardened parse (:mod:`ledgerlink.formats.xml_safety`), then the format's reader walks the
tree once. Any other root is a ``XML-ROOT`` violation. Nothing raises; a document with any error is
not returned (no partial documents).
"""

from __future__ import annotations

import logging

from lxml import etree

from ledgerlink.domain.violations import Violation
from ledgerlink.formats import cii, ubl
from ledgerlink.formats.base import ReadResult
from ledgerlink.formats.xml_safety import DEFAULT_LIMITS, XmlLimits, parse

ROOTS = {
    f"{{{ubl.NS_INVOICE}}}Invoice": "ubl",
    f"{{{ubl.NS_CREDIT_NOTE}}}CreditNote": "ubl",
    f"{{{cii.NS_RSM}}}CrossIndustryInvoice": "cii",
}
EXPECTED_ROOTS = "ubl:Invoice, ubl:CreditNote or rsm:CrossIndustryInvoice"
INTERNAL_ERROR = "internal reader error"
_log = logging.getLogger(__name__)


def read(data: bytes, limits: XmlLimits = DEFAULT_LIMITS) -> ReadResult:
    """Every document in the XML bytes (at most one), with the violations met."""
    root, violations = parse(data, limits)
    if root is None:
        return ReadResult(violations=violations)
    return read_root(root, limits)


def read_root(root: etree._Element, limits: XmlLimits = DEFAULT_LIMITS) -> ReadResult:
    """Dispatch an already parsed (safely) root element to its reader."""
    kind = ROOTS.get(root.tag) if isinstance(root.tag, str) else None
    if kind is None:
        return ReadResult(violations=[_wrong_root(root)])
    try:
        if kind == "ubl":
            return ubl.read_invoice(root, limits)
        return cii.read_invoice(root, limits)
    except RecursionError:
        return ReadResult(violations=[Violation("XML", "/", "document nested too deeply")])
    except Exception as exc:  # a reader bug must not become a crash of the caller; it is logged loudly
        _log.exception("XML reader failed on a %s document", kind)
        return ReadResult(
            violations=[Violation("XML", "/", f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc}")]
        )


def _wrong_root(root: etree._Element) -> Violation:
    tag = root.tag if isinstance(root.tag, str) else "?"
    qname = etree.QName(tag)
    found = (
        f"{qname.localname} in namespace {qname.namespace}"
        if qname.namespace
        else f"{qname.localname} (no namespace)"
    )
    return Violation(
        "XML-ROOT",
        f"/{qname.localname}",
        "not a UBL invoice, UBL credit note or CII invoice",
        expected=EXPECTED_ROOTS,
        found=found,
    )
