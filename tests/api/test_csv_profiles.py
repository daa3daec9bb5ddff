"""Per-organisation CSV profiles: saved and checked, used by ?profile=, never a path on the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.formats.test_csv_samples import SAGE50

MY_SAGE = """\
extends = "sage50-audit-trail"

[defaults]
seller_name = "Acme Widgets Ltd"
seller_vat_id = "GB980780684"
"""


def post_csv(api: Any, text: str, profile: str) -> Any:
    return api.post("/v1/documents", params={"profile": profile}, content=text.encode(),
                    headers={"Content-Type": "text/csv"})


def test_a_saved_profile_makes_an_export_ingestible(api: Any) -> None:
    refused = post_csv(api, SAGE50, "sage50-audit-trail")  # the built-in has no seller: EN 16931 needs one
    assert refused.status_code == 422
    saved = api.put("/v1/csv-profiles/acme-sage", content=MY_SAGE, headers={"Content-Type": "application/toml"})
    assert saved.status_code == 200, saved.text
    accepted = post_csv(api, SAGE50, "acme-sage")
    assert accepted.status_code == 201, accepted.text
    receipt = accepted.json()
    kinds = sorted(d["kind"] for d in receipt["documents"])
    assert kinds == ["credit_note", "invoice", "invoice"]
    assert [d["location"] for d in receipt["documents"]] == ["rows 2-4", "row 6", "row 7"]
    doc = api.get(f"/v1/documents/{receipt['documents'][0]['id']}").json()
    assert doc["seller"]["name"] == "Acme Widgets Ltd"
    listed = api.get("/v1/csv-profiles").json()["profiles"]
    assert {"name": "acme-sage", "source": "organisation"}.items() <= listed[0].items()
    assert any(p["name"] == "sage50-audit-trail" and p["source"] == "built-in" for p in listed)
    assert api.get("/v1/csv-profiles/acme-sage").text == MY_SAGE


def test_invalid_profiles_are_refused_with_their_toml_path(api: Any) -> None:
    bad = api.put("/v1/csv-profiles/broken", content='extends = "sage50-audit-trail"\n[format]\ndelimiter = 7\n')
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["path"].startswith("format")
    assert api.put("/v1/csv-profiles/Bad Name", content=MY_SAGE).status_code == 422
    not_toml = api.put("/v1/csv-profiles/x", content="this is = = not toml")
    assert not_toml.status_code == 422 and not_toml.json()["errors"][0]["rule"] == "CSV-PROFILE"
    assert api.get("/v1/csv-profiles").json()["profiles"][0]["source"] == "built-in"


def test_profiles_never_read_files_on_the_server(api: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret.toml"
    secret.write_text('name = "stolen"\n')
    by_path = post_csv(api, SAGE50, str(secret))
    assert by_path.status_code == 422
    assert by_path.json()["errors"][0]["rule"] == "CSV-PROFILE"
    extends_file = api.put("/v1/csv-profiles/sneaky", content=f'extends = "{secret}"\n')
    assert extends_file.status_code == 422
    assert "built-in" in extends_file.json()["errors"][0]["message"]
    assert post_csv(api, SAGE50, "../../etc/passwd").status_code == 422


def test_profiles_belong_to_one_organisation(api: Any, make_org_key: Any) -> None:
    api.put("/v1/csv-profiles/acme-sage", content=MY_SAGE)
    _, other_key = make_org_key()
    other = api.as_key(other_key)
    assert other.get("/v1/csv-profiles/acme-sage").status_code == 404
    unknown = post_csv(other, SAGE50, "acme-sage")
    assert unknown.status_code == 422
    assert "no such CSV profile" in unknown.json()["errors"][0]["message"]
    assert other.delete("/v1/csv-profiles/acme-sage").status_code == 404
    assert api.delete("/v1/csv-profiles/acme-sage").status_code == 204
    assert api.get("/v1/csv-profiles/acme-sage").status_code == 404


def test_saving_profiles_needs_the_admin_scope(api: Any, make_org_key: Any) -> None:
    _, ingest_key = make_org_key({"ingest", "read"})
    assert api.as_key(ingest_key).put("/v1/csv-profiles/x", content=MY_SAGE).status_code == 403
