"""systemd/syncd.service as systemd itself judges it: `systemd-analyze security` and `verify`.

Needs systemd-analyze from systemd 250 or newer (`--offline`); .ci/run installs Debian's
systemd package where it is missing, so in CI these tests run rather than skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "syncd.service"
MAX_EXPOSURE = 2.0
EXEC = "/opt/syncd/venv/bin/syncd"  # where README installs the virtual environment


def _analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd; .ci/run does it)")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    version = int(re.match(r"systemd (\d+)", out).group(1))  # type: ignore[union-attr]
    if version < 250:
        pytest.skip(f"systemd-analyze {version} has no --offline (needs 250 or newer)")
    return path


def _settings() -> list[tuple[str, str]]:
    pairs = []
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            pairs.append((key.strip(), value.strip()))
    return pairs


def test_security_exposure_is_2_or_lower() -> None:
    analyze = _analyze()
    run = subprocess.run([analyze, "security", "--offline=yes", "--no-pager", str(UNIT)],
                         capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", run.stdout)
    assert found, run.stdout + run.stderr
    exposure = float(found.group(1))
    assert exposure <= MAX_EXPOSURE, f"exposure {exposure}:\n{run.stdout}"


def test_verify_is_clean(tmp_path: Path) -> None:
    """`verify` checks that ExecStart= names an executable: the same unit, pointed at a stand-in."""
    analyze = _analyze()
    text = UNIT.read_text(encoding="utf-8")
    assert f"ExecStart={EXEC} run --config /etc/syncd/config.toml" in text
    stand_in = tmp_path / "bin" / "syncd"
    stand_in.parent.mkdir()
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    copy = tmp_path / "syncd.service"  # the name matters: verify derives the unit name from it
    copy.write_text(text.replace(f"ExecStart={EXEC} ", f"ExecStart={stand_in} "), encoding="utf-8")
    run = subprocess.run([analyze, "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and not run.stdout.strip() and not run.stderr.strip(), run.stdout + run.stderr


def test_the_unit_is_what_the_daemon_expects() -> None:
    settings = _settings()
    values = dict(settings)  # the last one wins for these single-valued settings
    assert values["Type"] == "notify" and values["NotifyAccess"] == "main"
    assert values["Restart"] == "on-failure"
    assert values["StateDirectory"] == "syncd" and values["StateDirectoryMode"] == "0700"
    assert values.get("PrivateNetwork", "no") == "no"  # Okdesk and Telegram are out there
    watchdog = re.fullmatch(r"(\d+)s?", values["WatchdogSec"])
    assert watchdog and 10 <= int(watchdog.group(1)) <= 300
    # The stop timeout leaves room for the default sync.shutdown_grace (30 s) and the goodbyes.
    assert int(values["TimeoutStopSec"].rstrip("s")) >= 40
    credentials = [v for k, v in settings if k == "LoadCredential"]
    assert {c.split(":")[0] for c in credentials} == {"okdesk_api_token", "telegram_api_hash", "telegram_bot_token"}
    assert values["EnvironmentFile"].startswith("-")  # optional: credentials are the other way


def test_no_secret_in_the_unit() -> None:
    """Unit files are world-readable (and shown over D-Bus): no secret, nor anything that looks like one."""
    for key, value in _settings():
        assert key not in ("SetCredential", "SetCredentialEncrypted"), "a credential's value in the unit"
        if key in ("Environment", "ExecStart"):
            assert not re.search(r"(?i)token|hash|secret|password|SYNCD_", value), f"{key}={value}"
    text = UNIT.read_text(encoding="utf-8")
    assert not re.search(r"\b\d{5,12}:[A-Za-z0-9_-]{30,}\b", text), "a bot token"
    assert not re.search(r"\b[0-9a-f]{32}\b", text), "an api_hash"
