from __future__ import annotations

from pathlib import Path

import pytest

from syncd.config import ConfigError, load_settings

REQUIRED_ENV = {
    "SYNCD_OKDESK_URL": "https://acme.okdesk.ru",
    "SYNCD_OKDESK_API_TOKEN": "tok",
    "SYNCD_TELEGRAM_API_ID": "1",
    "SYNCD_TELEGRAM_API_HASH": "hash",
    "SYNCD_TELEGRAM_BOT_TOKEN": "1:bot",
}


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[okdesk]\nurl = "acme.okdesk.ru"\n[sync]\npoll_interval = -1\nupdated_since_check = 0\n'
                   'bump_evidence = 0\nbogus = 1\n[weird]\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, {})
    text = str(err.value)
    for needle in ("okdesk.url must start with https://", "okdesk.api_token is required",
                   "telegram.api_id is required", "telegram.bot_token is required", "sync.poll_interval must be",
                   "sync.updated_since_check must be greater than 0", "sync.bump_evidence must be greater than 0",
                   "sync.bogus: unknown setting", "unknown section [weird]"):
        assert needle in text


def test_a_fixed_poll_interval_must_leave_the_sweep_its_share(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[sync]\npoll_interval = 0.3\n")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, REQUIRED_ENV)
    assert ("sync.poll_interval 0.3 s makes 200 polls a minute, more than the 60 okdesk.max_requests_per_minute "
            "leaves beside the reconcile sweep's share: at least 1.00 s, or unset (adaptive)") in str(err.value)
    assert load_settings(cfg, {**REQUIRED_ENV, "SYNCD_OKDESK_MAX_REQUESTS_PER_MINUTE": "6000"}).sync.poll_interval == 0.3
    cfg.write_text("[sync]\npoll_interval = 1\n")
    assert load_settings(cfg, REQUIRED_ENV).sync.poll_interval == 1.0


def test_environment_wins_over_the_file_and_types_are_checked(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sync]\npoll_interval = 30\n[okdesk]\nurl = "https://a.okdesk.ru/api/v1/"\n')
    settings = load_settings(cfg, {**REQUIRED_ENV, "SYNCD_SYNC_POLL_INTERVAL": "1.5"})
    assert settings.sync.poll_interval == 1.5
    with pytest.raises(ConfigError, match="SYNCD_TELEGRAM_API_ID"):
        load_settings(None, {**REQUIRED_ENV, "SYNCD_TELEGRAM_API_ID": "abc"})


def test_defaults_and_derived_paths() -> None:
    settings = load_settings(None, REQUIRED_ENV)
    assert settings.okdesk_api_base == "https://acme.okdesk.ru/api/v1"
    assert settings.state_dir == Path("state")
    assert settings.database_url == "sqlite:///state/syncd.sqlite3"
    assert settings.okdesk.create_contacts is True
    assert settings.sync.retry_cap == 60 and settings.sync.retry_budget == 86400
    under_systemd = load_settings(None, {**REQUIRED_ENV, "STATE_DIRECTORY": "/var/lib/syncd"})
    assert under_systemd.session_path == Path("/var/lib/syncd/telegram.session")


def test_secrets_stay_out_of_repr() -> None:
    settings = load_settings(None, REQUIRED_ENV)
    assert "tok" not in repr(settings.okdesk) and "hash" not in repr(settings.telegram)
    assert set(settings.secrets()) == {"tok", "hash", "1:bot"}


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", REQUIRED_ENV)


def test_commands_that_read_only_the_database_need_no_secrets() -> None:
    """`status` and `retry`, run by root next to the service, have its config but not its credentials."""
    public = {k: v for k, v in REQUIRED_ENV.items() if k in ("SYNCD_OKDESK_URL", "SYNCD_TELEGRAM_API_ID")}
    settings = load_settings(None, {**public, "STATE_DIRECTORY": "/var/lib/syncd"}, secrets_required=False)
    assert settings.okdesk.api_token is None and str(settings.state_dir) == "/var/lib/syncd"
    with pytest.raises(ConfigError, match="okdesk.api_token is required"):
        load_settings(None, public)
    # Everything else is still checked.
    with pytest.raises(ConfigError, match="okdesk.url is required"):
        load_settings(None, {"SYNCD_TELEGRAM_API_ID": "1"}, secrets_required=False)
