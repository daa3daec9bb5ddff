"""The bad CSV files of ``fuzz/csv``: each refused where ``manifest.toml`` says, never with a crash."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ledgerlink.formats.csvprofiles import read_bytes
from tests.formats.test_csv_samples import SELLER

CORPUS = Path(__file__).parent / "fuzz" / "csv"
MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))


def test_every_corpus_file_is_in_the_manifest():
    files = {p.name for p in CORPUS.iterdir() if p.suffix == ".csv"}
    assert files == set(MANIFEST)
    assert len(files) >= 20


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_corpus_file(name):
    spec = MANIFEST[name]
    result = read_bytes((CORPUS / name).read_bytes(), spec["profile"], defaults=SELLER)
    found_paths = [v.path for v in result.violations]
    assert found_paths, "a corpus file must produce at least one violation"
    for path in spec["paths"]:
        assert path in found_paths, (path, found_paths)
    for v in result.violations:
        assert v.rule == "CSV" and v.path.startswith("row ") and v.message
    numbers = {f.document.number for f in result.documents}
    assert not numbers & set(spec.get("absent", [])), numbers
    assert set(spec.get("present", [])) <= numbers
