"""Who may read the config file's secrets and the state directory's files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from syncd.app.filesafety import config_file_exposure, config_secrets, make_private

BASE = '[okdesk]\nurl = "https://x.okdesk.ru"\n[telegram]\napi_id = 1\n'


def _config(tmp_path: Path, text: str, mode: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize(("mode", "who"), [(0o644, "its group and everybody"), (0o640, "its group"),
                                           (0o604, "everybody")])
def test_secrets_in_a_file_others_may_read_are_named_with_the_mode(tmp_path, mode, who) -> None:
    path = _config(tmp_path, '[okdesk]\nurl = "https://x.okdesk.ru"\napi_token = "t"\n'
                   '[telegram]\napi_id = 1\napi_hash = "h"\nbot_token = "1:x"\n', mode)
    problem = config_file_exposure(path)
    assert problem is not None
    assert "okdesk.api_token, telegram.api_hash, telegram.bot_token" in problem
    assert f"{who} may read it (mode {mode:04o})" in problem
    assert "chmod 600" in problem
    # The values themselves are never repeated.
    assert '"t"' not in problem and "1:x" not in problem


def test_a_private_file_or_one_without_secrets_is_fine(tmp_path) -> None:
    assert config_file_exposure(_config(tmp_path, BASE + 'api_hash = "h"\n', 0o600)) is None
    assert config_file_exposure(_config(tmp_path, BASE, 0o644)) is None  # secrets from the environment
    assert config_file_exposure(_config(tmp_path, BASE + 'api_hash = ""\n', 0o644)) is None  # set, but empty
    assert config_file_exposure(tmp_path / "missing.toml") is None
    assert config_file_exposure(_config(tmp_path, "not [toml", 0o644)) is None  # the loader says what is wrong
    assert config_file_exposure(None) is None


def test_urls_count_as_secrets_for_the_credentials_in_them() -> None:
    data = {"okdesk": {"proxy": "http://user:pw@proxy:3128", "url": "https://x.okdesk.ru"},
            "state": {"database_url": "postgresql://syncd:pw@db/syncd"},
            "telegram": {"proxy": "mtproxy://ee0011@proxy:443", "other_secret": "x"}}
    assert config_secrets(data) == ["okdesk.proxy", "state.database_url", "telegram.proxy", "telegram.other_secret"]
    plain = {"okdesk": {"proxy": "http://proxy:3128"}, "state": {"database_url": "postgresql://syncd@db/syncd"},
             "telegram": {"proxy": "socks5://proxy:1080"}}
    assert config_secrets(plain) == []


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_the_state_directory_is_made_private_all_the_way_down(tmp_path) -> None:
    state = tmp_path / "state"
    (state / "old" / "deeper").mkdir(parents=True)
    for path in (state, state / "old", state / "old" / "deeper"):
        os.chmod(path, 0o755)
    for path in (state / "syncd.sqlite3-wal", state / "old" / "backup.db", state / "old" / "deeper" / "x"):
        path.write_text("data")
        os.chmod(path, 0o644)
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    os.chmod(outside, 0o644)
    (state / "link").symlink_to(outside)
    make_private(state)
    for path in [state, *state.rglob("*")]:
        if path.is_symlink():
            continue
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert _mode(outside) == 0o644  # a symbolic link is never followed


def test_a_missing_state_directory_is_created_private(tmp_path) -> None:
    state = tmp_path / "a" / "state"
    make_private(state)
    assert _mode(state) == 0o700
