"""Secrets from systemd's $CREDENTIALS_DIRECTORY (LoadCredential=): between the environment and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.config import ConfigError, load_settings

BASE_ENV = {"SYNCD_OKDESK_URL": "https://acme.okdesk.ru", "SYNCD_TELEGRAM_API_ID": "1"}


def credentials(tmp_path: Path, **values: str) -> Path:
    directory = tmp_path / "credentials"
    directory.mkdir()
    for name, value in values.items():
        (directory / name).write_text(value)
    return directory


def test_secrets_come_from_the_credentials_directory(tmp_path: Path) -> None:
    creds = credentials(tmp_path, okdesk_api_token="cred-token\n", telegram_api_hash="cred-hash\n",
                        telegram_bot_token="1:cred-bot")
    settings = load_settings(None, {**BASE_ENV, "CREDENTIALS_DIRECTORY": str(creds)})
    # `echo value > file` leaves a newline: not part of the secret.
    assert (settings.okdesk.api_token, settings.telegram.api_hash, settings.telegram.bot_token) == (
        "cred-token", "cred-hash", "1:cred-bot")
    assert "cred-token" in settings.secrets()


def test_the_environment_wins_over_a_credential_which_wins_over_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[okdesk]\napi_token = "file-token"\n[telegram]\napi_hash = "file-hash"\nbot_token = "1:file"\n')
    creds = credentials(tmp_path, okdesk_api_token="cred-token", telegram_api_hash="cred-hash")
    env = {**BASE_ENV, "CREDENTIALS_DIRECTORY": str(creds), "SYNCD_OKDESK_API_TOKEN": "env-token"}
    settings = load_settings(cfg, env)
    assert settings.okdesk.api_token == "env-token"
    assert settings.telegram.api_hash == "cred-hash"
    assert settings.telegram.bot_token == "1:file"  # no credential of that name: the file's


def test_an_empty_credential_counts_as_absent(tmp_path: Path) -> None:
    creds = credentials(tmp_path, okdesk_api_token="", telegram_api_hash="h", telegram_bot_token="1:b")
    with pytest.raises(ConfigError) as err:
        load_settings(None, {**BASE_ENV, "CREDENTIALS_DIRECTORY": str(creds)})
    assert "okdesk.api_token is required (or set SYNCD_OKDESK_API_TOKEN, or the credential okdesk_api_token)" in str(
        err.value)


def test_only_secrets_are_read_from_credentials(tmp_path: Path) -> None:
    creds = credentials(tmp_path, okdesk_api_token="t", telegram_api_hash="h", telegram_bot_token="1:b",
                        okdesk_url="https://other.okdesk.ru", sync_poll_interval="1")
    settings = load_settings(None, {**BASE_ENV, "CREDENTIALS_DIRECTORY": str(creds)})
    assert settings.okdesk.url == "https://acme.okdesk.ru" and settings.sync.poll_interval is None


def test_an_unreadable_credential_is_a_config_error_that_shows_no_secret(tmp_path: Path) -> None:
    creds = credentials(tmp_path, telegram_api_hash="h", telegram_bot_token="1:b")
    (creds / "okdesk_api_token").mkdir()  # not a file: cannot be read, whoever we are
    with pytest.raises(ConfigError, match="credential okdesk_api_token in \\$CREDENTIALS_DIRECTORY cannot be read"):
        load_settings(None, {**BASE_ENV, "CREDENTIALS_DIRECTORY": str(creds)})


def test_hang_timeout_must_not_be_negative() -> None:
    env = {**BASE_ENV, "SYNCD_OKDESK_API_TOKEN": "t", "SYNCD_TELEGRAM_API_HASH": "h",
           "SYNCD_TELEGRAM_BOT_TOKEN": "1:b"}
    assert load_settings(None, env).sync.hang_timeout == 0
    with pytest.raises(ConfigError, match="sync.hang_timeout must not be negative"):
        load_settings(None, {**env, "SYNCD_SYNC_HANG_TIMEOUT": "-1"})


def test_the_credential_store_names_are_read_too(tmp_path: Path) -> None:
    """/etc/credstore holds syncd.<name>: pointing CREDENTIALS_DIRECTORY there reads the daemon's secrets."""
    creds = credentials(tmp_path, **{"syncd.okdesk_api_token": "store-token", "syncd.telegram_api_hash": "h",
                                     "syncd.telegram_bot_token": "1:b", "okdesk_api_token": "unit-token"})
    settings = load_settings(None, {**BASE_ENV, "CREDENTIALS_DIRECTORY": str(creds)})
    assert settings.okdesk.api_token == "unit-token"  # the name the unit delivers first
    assert settings.telegram.api_hash == "h" and settings.telegram.bot_token == "1:b"
