"""Collector configuration: valid files load; every bad field is reported with its path."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlink.collector.config import CollectorConfigError, load

HEX = "ab" * 32


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "exports").mkdir(exist_ok=True)
    (tmp_path / "key").write_text("ll_secret\n")
    path = tmp_path / "collector.toml"
    path.write_text(text)
    return path


GOOD = """
[agent]
state_dir = "state"
[server]
url = "https://centre.example.com/"
key_file = "key"
pin_spki_sha256 = ["sha256/q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="]
pin_cert_sha256 = ["AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB"]
[intervals]
stable_seconds = 1.5
[[folders]]
path = "exports"
format = "sage50-audit-trail"
patterns = ["*.csv"]
"""


def test_a_valid_file_loads_with_paths_relative_to_it(tmp_path: Path) -> None:
    config = load(_write(tmp_path, GOOD))
    assert config.server.url == "https://centre.example.com"
    assert config.server.key_file == tmp_path / "key"
    assert config.agent.state_dir == tmp_path / "state"
    assert config.spool_path == tmp_path / "state" / "spool.sqlite3"
    folder = config.folders[0]
    assert folder.path == tmp_path / "exports" and folder.format == "sage50-audit-trail"
    assert folder.archive_dir == tmp_path / "exports" / "archive"
    assert config.server.pin_spki_sha256 == (HEX,) and config.server.pin_cert_sha256 == (HEX,)
    assert config.intervals.stable_seconds == 1.5 and config.intervals.rescan_seconds == 30


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('url = "https://centre.example.com/"', 'url = "http://centre.example.com"'), "server: Value error"),
        (('url = "https://centre.example.com/"', 'url = "ftp://x"'), "server.url: expected an https:// URL"),
        (('format = "sage50-audit-trail"', 'format = "Sage 50!"'), "folders[0].format: expected 'auto'"),
        (('stable_seconds = 1.5', 'stable_seconds = -1'), "intervals.stable_seconds: Input should be greater"),
        (('pin_cert_sha256 = [', 'pin_cert_sha256 = ["nope", '), "server.pin_cert_sha256: expected a SHA-256"),
        (('patterns = ["*.csv"]', 'patterns = ["*.csv"]\ncolour = "blue"'), "folders[0].colour: Extra inputs"),
        (('key_file = "key"', 'key_file = "missing.key"'), "server.key_file: file not found"),
        (('path = "exports"', 'path = "nowhere"'), "folders[0].path: folder not found"),
        (('[agent]\nstate_dir = "state"', ''), "agent: Field required"),
        (('[[folders]]', '[[folders]] ='), "not valid TOML"),
    ],
)
def test_bad_configuration_is_reported_with_its_field(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    assert change[0] in GOOD
    with pytest.raises(CollectorConfigError) as raised:
        load(_write(tmp_path, GOOD.replace(change[0], change[1], 1)))
    message = str(raised.value)
    if expected == "server: Value error":
        assert "plain http:// is refused" in message and "--insecure-allow-http" in message
    else:
        assert expected in message, message


def test_http_is_accepted_only_with_the_explicit_flag(tmp_path: Path) -> None:
    text = GOOD.replace('url = "https://centre.example.com/"', 'url = "http://127.0.0.1:8080"\ninsecure_allow_http = true')
    assert load(_write(tmp_path, text)).server.url == "http://127.0.0.1:8080"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CollectorConfigError, match="cannot read the file"):
        load(tmp_path / "absent.toml")


PROFILE = """
extends = "sage50-audit-trail"
name = "acme-sage50"
[defaults]
seller_name = "Acme Widgets Ltd"
seller_vat_id = "GB980780684"
"""


def test_a_profile_file_is_resolved_against_the_configuration_and_loaded_up_front(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "acme.toml").write_text(PROFILE)
    config = load(_write(tmp_path, GOOD.replace('format = "sage50-audit-trail"', 'format = "profiles/acme.toml"')))
    folder = config.folders[0]
    assert folder.format == str(tmp_path / "profiles" / "acme.toml")
    assert folder.profile_file == tmp_path / "profiles" / "acme.toml"
    assert load(_write(tmp_path, GOOD)).folders[0].profile_file is None  # a built-in name stays a name


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (None, "folders[0].format: profile"),  # no such file
        (PROFILE.replace('extends = "sage50-audit-trail"', 'extends = "sage51"'), "no built-in profile of this name"),
        (PROFILE + "\n[columns]\nnumber = \"No Such Column\"\n", "columns.number"),
    ],
)
def test_a_bad_profile_file_is_a_configuration_error(tmp_path: Path, profile: str | None, expected: str) -> None:
    if profile is not None:
        (tmp_path / "mine.toml").write_text(profile)
    with pytest.raises(CollectorConfigError) as raised:
        load(_write(tmp_path, GOOD.replace('format = "sage50-audit-trail"', 'format = "mine.toml"')))
    message = str(raised.value)
    assert "folders[0].format: profile" in message and expected in message, message
    if profile is None:
        assert "cannot read the file" in message
