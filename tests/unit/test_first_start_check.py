"""What `syncd check` looks at before the first start, where no subprocess is needed: whether a
directory could be created and written by this user, said without creating anything."""

from __future__ import annotations

from pathlib import Path

from syncd.checks.database import check_database
from syncd.checks.first_start import writable
from syncd.config import load_settings
from tests.unit.test_config import REQUIRED_ENV


def test_writable_looks_up_to_the_nearest_existing_parent(tmp_path: Path) -> None:
    assert writable(tmp_path) is None
    assert writable(tmp_path / "a" / "b" / "c") is None
    assert not (tmp_path / "a").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert writable(blocker / "state") == f"{blocker} is not a directory"
    assert writable(blocker) == f"{blocker} is not a directory"


def test_a_state_directory_that_cannot_be_made_fails_the_database_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    settings = load_settings(None, {**REQUIRED_ENV, "SYNCD_STATE_DIR": str(blocker / "state")})
    result = check_database(settings)
    assert result.failed
    assert result.line() == (f"FAIL  database: the state directory cannot be used: {blocker} is not a directory "
                             "(run the check as the service's user, or fix state.dir)")
    assert not (blocker.parent / "state").exists()


def test_no_database_yet_in_a_state_directory_that_will_be_made(tmp_path: Path) -> None:
    state = tmp_path / "var" / "lib" / "syncd"
    settings = load_settings(None, {**REQUIRED_ENV, "SYNCD_STATE_DIR": str(state)})
    result = check_database(settings)
    assert not result.failed
    assert result.line().startswith(f"ok    database: no database yet at {state / 'syncd.sqlite3'}: it will be "
                                    f"created at the first start ({state} can be created and is writable by ")
    assert not (tmp_path / "var").exists()
