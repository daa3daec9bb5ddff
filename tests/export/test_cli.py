"""``ledgerlink integration set|show`` and ``ledgerlink export run [--dry-run]`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ledgerlink.export import repository
from tests.export.helpers import config, item, make_job
from tests.export.test_end_to_end import beancount_ledger

LEDGERLINK = str(Path(sys.executable).parent / "ledgerlink")


def _cli(db: Any, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    url = db.url.render_as_string(hide_password=False)
    return subprocess.run([LEDGERLINK, *args, "--database-url", url], input=stdin, capture_output=True, text=True,
                          timeout=120)


def test_integration_set_show_and_export_run(db: Any, tmp_path: Path) -> None:
    from ledgerlink.services import tenancy

    with db.begin() as conn:
        org = tenancy.create_organisation(conn, "cli-org", actor="test")
    ledger = beancount_ledger(tmp_path / "books.beancount")
    bad = _cli(db, "integration", "set", "books", "-", "--org", org, stdin=json.dumps({"target": {"kind": "x"}}))
    assert bad.returncode == 1 and "target.kind" in bad.stderr and "target.path" in bad.stderr
    good = _cli(db, "integration", "set", "books", "-", "--org", org,
                stdin=json.dumps(config(target={"kind": "beancount", "path": str(ledger)})))
    assert good.returncode == 0, good.stderr
    shown = _cli(db, "integration", "show", "books", "--org", org)
    assert json.loads(shown.stdout)["target"]["path"] == str(ledger)

    job_id = make_job(db, org, [item("a"), item("b")])
    before = ledger.read_text(encoding="utf-8")
    dry = _cli(db, "export", "run", "--integration", "books", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert '* "Deutsche Bahn" "Train to Hamburg"' in dry.stdout and f"job {job_id}" in dry.stdout
    assert ledger.read_text(encoding="utf-8") == before

    run = _cli(db, "export", "run", "--integration", "books", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [{"job_id": job_id, "org_id": org, "integration": "books",
                                       "status": "completed", "recovered": False}]
    with db.read() as conn:
        assert {i.status.value for i in repository.job_items(conn, org, job_id)} == {"successful"}
    assert ledger.read_text(encoding="utf-8").count("ledgerlink-key:") == 2
