"""`python -m tests.sandbox`: try syncd without an Okdesk account or a bot token.

Starts the Okdesk emulator, the Telegram test server and the unmodified `syncd run` against them (all
on 127.0.0.1), then reads commands until quit, Ctrl-D or Ctrl-C; whichever it is, the daemon, the
servers and the temporary directory are gone when it returns.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from types import FrameType

from tests.sandbox.console import Console
from tests.sandbox.stack import Stack
from tests.sandbox.term import Terminal
from tests.sandbox.watch import Watcher

INTRO = """\
You are the Telegram user {name} (phone {phone}); Okdesk knows a contact with that number.
Type /start, then `phone` (or press the share-phone button) to link, then write anything: it becomes
an issue in Okdesk. Then answer it as staff: `staff comment 1 Hello!`. `help` lists every command;
Ctrl-C stops everything."""


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    # SIGTERM and SIGHUP (the terminal closed) end the session the way Ctrl-C does: cleanly.
    raise KeyboardInterrupt


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox", description=__doc__.split("\n")[0])
    parser.add_argument("--lang", choices=("ru", "en"), default="ru", help="the client's Telegram language")
    parser.add_argument("--first-name", default="Иван")
    parser.add_argument("--last-name", default="Петров")
    parser.add_argument("--phone", default="79123456789", help="the client's number, digits only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    term = Terminal()
    # Ctrl-C is the way out, even when started from something that ignores SIGINT (inherited).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    stack = Stack(first=args.first_name, last=args.last_name, phone=args.phone, lang=args.lang)
    watcher: Watcher | None = None
    code = 0
    try:
        term.say("syncd sandbox: the real daemon against the test-suite's stand-ins, on 127.0.0.1 only.")
        term.say(f"  temp dir:        {stack.tmp}")
        stack.start_servers()
        assert stack.emu is not None and stack.tg is not None
        term.say(f"  Okdesk emulator: {stack.emu.base_url}")
        term.say(f"  Telegram server: 127.0.0.1:{stack.tg.port}")
        stack.start_daemon()
        assert stack.proc is not None
        term.say(f"  daemon:          pid {stack.proc.pid}, log {stack.log_path} (`log` shows its tail)")
        term.say("Starting the daemon...")
        stack.wait_ready()
        watcher = Watcher(stack, term)
        watcher.start()
        term.say("Ready.\n" + INTRO.format(name=f"{args.first_name} {args.last_name}", phone="+" + args.phone))
        Console(stack, watcher, term).run()
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        term.say(f"! {exc}")
        code = 1
    finally:
        # A second Ctrl-C must not cut the cleanup short (it is bounded: the daemon gets a grace, then SIGKILL).
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        term.say("\nStopping the daemon and the servers...")
        if watcher is not None:
            watcher.stop()
        stack.close()
        term.say(f"Stopped; {stack.tmp} is removed.")
    return code


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
