"""The terminal: one thread reads lines (input() with readline's editing), others print events.

An event printed while the reader waits would land in the middle of the prompt and of what the user
has typed so far; on a terminal the line is cleared first, and the prompt with the half-typed text is
written again under the event.
"""

from __future__ import annotations

import sys
import threading

try:  # line editing and history for input(); absent on some builds, where plain input() still works
    import readline
except ImportError:  # pragma: no cover - depends on the Python build
    readline = None  # type: ignore[assignment]

CLEAR_LINE = "\r\x1b[K"


class Terminal:
    def __init__(self, prompt: str = "> ") -> None:
        self.prompt = prompt
        self._lock = threading.Lock()
        self._reading = False
        self.interactive = sys.stdin.isatty() and sys.stdout.isatty()

    def say(self, text: str = "") -> None:
        """Print ``text`` (any number of lines) without garbling a prompt being typed at."""
        with self._lock:
            if self.interactive and self._reading:
                typed = readline.get_line_buffer() if readline is not None else ""
                sys.stdout.write(f"{CLEAR_LINE}{text}\n{self.prompt}{typed}")
            else:
                sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def read(self) -> str:
        """One line from the user; EOFError at the end of input, KeyboardInterrupt on Ctrl-C."""
        with self._lock:
            self._reading = True
        try:
            return input(self.prompt if self.interactive else "")
        finally:
            with self._lock:
                self._reading = False
