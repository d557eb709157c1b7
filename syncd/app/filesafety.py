"""Who may read what: the secrets in the config file, and everything in the state directory.

The state directory holds the bot's Telegram session (as good as the bot token) and the database
(linked clients' phone numbers): the directory is 0700 and every file in it 0600, whatever mode a
sysadmin or an earlier version left them in. A config file holding secrets that others may read is
not ours to change, but it is said at every start.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from syncd.config import SECTIONS
from syncd.logs import get_logger

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

log = get_logger(__name__)

# Beyond the settings marked secret: keys that name one, and URLs with a password in them (a
# database's). A URL is a secret only for what it carries: a proxy without credentials is none.
_SECRET_KEY = re.compile(r"secret|password|token|api_hash", re.IGNORECASE)
_URL_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://([^/?#\s]*)@", re.IGNORECASE)


def config_secrets(data: dict[str, Any]) -> list[str]:
    """The settings (``section.key``) of a parsed config file that hold a secret."""
    marked = {(name, f.name) for name, cls in SECTIONS.items() for f in fields(cls) if f.metadata.get("secret")}
    found = []
    for section, values in data.items():
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            if value in (None, ""):
                continue
            named = (section, key) in marked or bool(_SECRET_KEY.search(key))
            if isinstance(value, str) and "://" in value:
                userinfo = _URL_USERINFO.match(value)
                # user:password@, or an MTProxy's SECRET@ in a setting marked secret
                named = userinfo is not None and (":" in userinfo.group(1) or named)
            if named:
                found.append(f"{section}.{key}")
    return found


def config_file_exposure(path: str | Path | None) -> str | None:
    """Why the config file's secrets are exposed, in a sentence for the sysadmin; None when they are
    not (no file, no secret in it, or only its owner may read it)."""
    if path is None:
        return None
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        readers = [who for who, bit in (("its group", stat.S_IRGRP), ("everybody", stat.S_IROTH)) if mode & bit]
        if not readers:
            return None  # the usual case: no need to read the file a second time
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return None  # the config loader has said what is wrong with it
    secrets = config_secrets(data)
    if not secrets:
        return None
    return (f"the config file {path} holds secrets ({', '.join(secrets)}) and {' and '.join(readers)} may read it "
            f"(mode {mode:04o}): chmod 600 it, or give the secrets through the environment "
            "(SYNCD_<SECTION>_<KEY>, e.g. from a root-only EnvironmentFile)")


def warn_config_file_exposure(path: str | Path | None) -> bool:
    """Log a warning when :func:`config_file_exposure` finds something; True if it did."""
    problem = config_file_exposure(path)
    if problem is not None:
        log.warning("config_file_readable_by_others", path=str(path), problem=problem)
    return problem is not None


def make_private(state_dir: Path) -> None:
    """The state directory 0700 (made if missing, tightened if it exists), every directory under it 0700
    and every file 0600. Symbolic links are left alone (never followed: what they point to is not ours).
    What cannot be changed (a file of another user) is logged, not fatal."""
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _chmod(state_dir, 0o700)
    for root, dirs, files in os.walk(state_dir):
        for name in dirs:
            path = Path(root, name)
            if not path.is_symlink():
                _chmod(path, 0o700)
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                _chmod(path, 0o600)


def _chmod(path: Path, mode: int) -> None:
    try:
        if stat.S_IMODE(path.lstat().st_mode) != mode:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass  # gone meanwhile (SQLite's -journal comes and goes)
    except OSError as exc:
        log.warning("state_file_not_private", path=str(path), error=exc.strerror or str(exc))
