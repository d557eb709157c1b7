"""`python -m tests.sandbox` as a newcomer runs it: in a real terminal (a pty), typed at, stopped with
Ctrl-C, and nothing of it left behind (no process, no listening port, no temporary directory)."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, SYSTEMD_ENV

pytestmark = pytest.mark.e2e

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Pty:
    """The sandbox on the slave side of a pty; what it prints, read from the master side."""

    def __init__(self, tmp_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_") and k not in SYSTEMD_ENV}
        # TMPDIR inside tmp_path: whatever the sandbox failed to remove stays where pytest cleans up.
        env.update(PYTHONPATH=str(REPO), TMPDIR=str(tmp_path), TERM="xterm", PYTHONIOENCODING="utf-8")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the pty is its controlling terminal, so \x03 is its SIGINT
            try:
                os.chdir(REPO)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.execve(sys.executable, [sys.executable, "-m", "tests.sandbox"], env)
            finally:
                os._exit(127)
        self.raw = b""
        self.status: int | None = None

    @property
    def text(self) -> str:
        # The terminal's line endings and readline's and the prompt's escapes are not what is checked.
        return ANSI.sub("", self.raw.decode("utf-8", "replace")).replace("\r\n", "\n")

    def _read(self, wait: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], wait)
        if ready:
            try:
                self.raw += os.read(self.fd, 65536)
            except OSError:  # EIO: the child closed the terminal (it exited)
                time.sleep(wait)

    def expect(self, pattern: str, timeout: float = 20, since: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            found = re.compile(pattern).search(self.text, since)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} within {timeout} s; the terminal showed:\n{self.text}")
            self._read(0.2)

    def type(self, line: str) -> int:
        """Type a line; returns where the output stood, to look only at what follows."""
        mark = len(self.text)
        os.write(self.fd, line.encode() + b"\r")
        return mark

    def wait_exit(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while self.status is None and time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
            else:
                self._read(0.1)  # keep draining, or a child writing to a full pty would block
        return self.status

    def kill(self) -> None:
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.wait_exit(10)
        os.close(self.fd)


def processes_mentioning(needle: str) -> list[tuple[int, str]]:
    """(pid, command line) of every process whose command line holds ``needle``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if needle in cmdline:
            found.append((int(entry.name), cmdline))
    return found


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.timeout(120)
def test_sandbox_session_in_a_terminal_and_ctrl_c_leaves_nothing_behind(tmp_path: Path) -> None:
    term = Pty(tmp_path)
    tmp = None
    try:
        intro = term.expect(r"(?s)temp dir: +(\S+)\n.*Okdesk emulator: +http://127\.0\.0\.1:(\d+)\n"
                            r".*Telegram server: +127\.0\.0\.1:(\d+)\n.*daemon: +pid (\d+)")
        tmp, ports, daemon_pid = intro.group(1), [int(intro.group(2)), int(intro.group(3))], int(intro.group(4))
        assert tmp.startswith(str(tmp_path)) and Path(tmp).is_dir()
        term.expect(r"Ready\.", timeout=60)
        # What is checked at the end can be seen now: the daemon under the temp dir, both ports listening.
        assert daemon_pid in [pid for pid, _ in processes_mentioning(tmp)]
        assert all(port_open(port) for port in ports)

        # The client: /start, the share-phone keyboard, the phone shared, linked.
        mark = term.type("/start")
        term.expect(r"Bot \[msg \d+\]:(?s:.*?)keyboard: \[\d+\] 📱", since=mark)
        mark = term.type("phone")
        term.expect(r"Готово! Вы подключены как", since=mark)
        # A message: the bot offers to make it an issue (an inline button, numbered); pressed, it is one.
        mark = term.type("Принтер в бухгалтерии не печатает")
        button = term.expect(r"\[(\d+)\] 📝 Создать заявку", since=mark).group(1)
        mark = term.type(f"press {button}")
        term.expect(r"Okdesk: new issue #1 by Иван Петров: Принтер в бухгалтерии не печатает", since=mark)
        term.expect(r"Заявка #1 .*создана", since=mark)

        # Staff answer in Okdesk; the client sees it arrive (the bot's message, its text indented).
        mark = term.type("staff comment 1 Перезагрузите принтер, пожалуйста")
        term.expect(r"Okdesk \(you, staff\): public comment on #1 added", since=mark)
        term.expect(r"Bot \[msg \d+\]:\n(?:    .*\n)*?    Перезагрузите принтер, пожалуйста", since=mark)

        # Ctrl-C, as typed: the terminal makes it the sandbox's SIGINT.
        os.write(term.fd, b"\x03")
        status = term.wait_exit(30)
        assert status is not None, f"the sandbox did not exit within 30 s of Ctrl-C:\n{term.text}"
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"exit status {status}:\n{term.text}"
        assert "Stopped;" in term.text

        left = processes_mentioning(tmp)
        assert not left, f"processes left running: {left}"
        assert not [port for port in ports if port_open(port)], "a port of the sandbox still listens"
        assert not Path(tmp).exists(), f"{tmp} is still there"
    finally:
        term.kill()
        if tmp is not None:  # a failed run must not leave its daemon behind for the rest of the suite
            for pid, _ in processes_mentioning(tmp):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            shutil.rmtree(tmp, ignore_errors=True)
