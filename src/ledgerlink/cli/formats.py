"""``ledgerlink convert`` and ``ledgerlink validate``: documents between formats, and rule checks, on files.

Rules:

* The input format is told by content (``%PDF``, ``<``, ``{``/``[``) and else by extension; a CSV needs
  ``--profile``. Every reader goes through :func:`ledgerlink.formats.registry.read_bytes`.
* One line per failure: ``FILE: RULE path: message (expected …, found …)``; ``--json`` prints the
  same as a JSON array. Exit code 0 when no error (warnings pass), 1 otherwise.
* ``convert`` writes nothing when the input has any error, or when a document breaks an EN 16931
  rule (unless ``--no-check``). Several documents (a CSV) go to a folder ``OUT``, one file each
  (JSON: one array file).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from ledgerlink.domain.documents import AnyDocument
from ledgerlink.domain.violations import Severity, Violation
from ledgerlink.formats import registry
from ledgerlink.formats.base import ReadResult, UnsupportedMediaType
from ledgerlink.formats.xml_common import WriteError

FORMATS = ("ubl", "cii", "json", "facturx")
EXTENSIONS = {"ubl": ".xml", "cii": ".xml", "json": ".json", "facturx": ".pdf"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

Profile = Annotated[
    str | None, typer.Option("--profile", "-p", help="CSV layout profile, e.g. sage50-audit-trail")
]


def media_type_for(path: Path, data: bytes) -> str:
    """The media type of an input file, by content first, then by extension."""
    head = data.lstrip()[:5]
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"<") or head.startswith(b"\xef\xbb\xbf<"):
        return "application/xml"
    if head[:1] in (b"{", b"["):
        return "application/json"
    return {".pdf": "application/pdf", ".xml": "application/xml", ".json": "application/json"}.get(
        path.suffix.lower(), "text/csv"
    )


def read_file(path: Path, profile: str | None) -> ReadResult:
    """Every document in a file with the reader's violations; an unreadable file is a violation too."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ReadResult(violations=[Violation("IO", str(path), f"cannot read file: {exc.strerror or exc}")])
    try:
        return registry.read_bytes(data, media_type_for(path, data), profile=profile)
    except UnsupportedMediaType as exc:
        return ReadResult(violations=[Violation("IO", str(path), f"unsupported input: {exc}")])


def rule_violations(doc: AnyDocument) -> list[Violation]:
    from ledgerlink.domain import rules

    return list(rules.check(doc))


def format_line(file: str, v: Violation) -> str:
    """``FILE: RULE path: message (expected …, found …)``, with ``[warning]`` for warnings."""
    detail = ", ".join(
        part
        for part in (
            f"expected {v.expected}" if v.expected is not None else "",
            f"found {v.found}" if v.found is not None else "",
        )
        if part
    )
    text = f"{file}: {v.rule} {v.path or '/'}: {v.message}"
    if detail:
        text += f" ({detail})"
    if v.severity is Severity.WARNING:
        text += " [warning]"
    return text


def _report(items: list[tuple[str, Violation]], as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                [{"file": f, **v.as_dict(), "severity": v.severity.value} for f, v in items],
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        for f, v in items:
            typer.echo(format_line(f, v), err=False)


def _has_error(items: list[tuple[str, Violation]]) -> bool:
    return any(v.severity is Severity.ERROR for _, v in items)


def validate(
    files: Annotated[
        list[Path], typer.Argument(help="UBL/CII XML, Factur-X PDF, canonical JSON or CSV files")
    ],
    profile: Profile = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the failures as a JSON array")] = False,
) -> None:
    """Read each file and check every document in it against the EN 16931 rules."""
    items: list[tuple[str, Violation]] = []
    for path in files:
        result = read_file(path, profile)
        items += [(str(path), v) for v in result.violations]
        for found in result.documents:
            where = f"{path}#{found.location}" if len(result.documents) > 1 else str(path)
            items += [(where, v) for v in rule_violations(found.document)]
    _report(items, as_json)
    if _has_error(items):
        raise typer.Exit(1)


def convert(
    source: Annotated[Path, typer.Argument(metavar="IN", help="Input file")],
    target: Annotated[
        Path, typer.Argument(metavar="OUT", help="Output file (a folder for several documents)")
    ],
    profile: Profile = None,
    to: Annotated[
        str | None, typer.Option("--to", help="ubl, cii, json or facturx [default: from OUT's extension]")
    ] = None,
    no_check: Annotated[bool, typer.Option("--no-check", help="Write even when EN 16931 rules fail")] = False,
) -> None:
    """Convert a document file to UBL, CII, canonical JSON or a Factur-X PDF."""
    fmt = (to or _format_from_extension(target)).lower()
    if fmt not in FORMATS:
        typer.echo(
            f"{target}: unknown output format {fmt!r} (expected one of {', '.join(FORMATS)})", err=True
        )
        raise typer.Exit(2)
    result = read_file(source, profile)
    items = [(str(source), v) for v in result.violations]
    if not no_check:
        for found in result.documents:
            items += [(str(source), v) for v in rule_violations(found.document)]
    if not result.documents and not _has_error(items):
        items.append((str(source), Violation("IO", str(source), "no document found")))
    if _has_error(items):
        _report(items, False)
        raise typer.Exit(1)
    outputs: list[tuple[Path, bytes]] = []
    try:
        if len(result.documents) == 1:
            outputs.append((target, registry.write_bytes(result.documents[0].document, fmt)))
        elif fmt == "json":
            docs = [json.loads(registry.write_bytes(f.document, "json")) for f in result.documents]
            outputs.append((target, json.dumps(docs, ensure_ascii=False).encode()))
        else:
            for found in result.documents:
                doc: Any = found.document
                name = _SAFE_NAME.sub("_", str(doc.number)) + EXTENSIONS[fmt]
                outputs.append((target / name, registry.write_bytes(doc, fmt)))
    except WriteError as exc:
        _report([(str(target), v) for v in exc.violations], False)
        raise typer.Exit(1) from None
    _report(items, False)  # warnings only at this point
    for path, data in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    typer.echo(f"{source}: {len(outputs)} document(s) written as {fmt} to {target}", err=True)


def _format_from_extension(target: Path) -> str:
    return {".pdf": "facturx", ".json": "json", ".xml": "ubl"}.get(target.suffix.lower(), "ubl")


def register(app: typer.Typer) -> None:
    app.command("convert")(convert)
    app.command("validate")(validate)
