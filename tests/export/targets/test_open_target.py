from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlink.export.targets import Target, TargetMisconfigured, open_target


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"path": "x"}, "target.kind"),
        ({"kind": "xero", "path": "x"}, "target.kind"),
        ({"kind": "beancount"}, "target.path"),
        ({"kind": "hledger", "path": "x", "documents_dir": 3}, "target.documents_dir"),
        ({"kind": "datev", "path": "x"}, "target.accounts"),
    ],
)
def test_bad_target_objects_are_misconfigured(config: dict[str, object], path: str) -> None:
    with pytest.raises(TargetMisconfigured) as caught:
        open_target(config)
    assert caught.value.path == path


def test_every_kind_implements_the_protocol(tmp_path: Path) -> None:
    for config in ({"kind": "beancount", "path": str(tmp_path / "a.beancount")},
                   {"kind": "hledger", "path": str(tmp_path / "a.journal")},
                   {"kind": "datev", "path": str(tmp_path), "consultant_number": 1001, "client_number": 1,
                    "fiscal_year_start": "2026-01-01", "accounts": [{"code": "4930"}]}):
        made = open_target(config)
        assert isinstance(made, Target) and made.kind == config["kind"]
