"""The subcommands of ``syncd``: one module each, with ``register(subparsers)``.

A module's ``register`` adds its parser and sets ``handler=`` (a function of the parsed args and
the settings, returning the exit code). ``syncd.cli`` finds the modules here by itself.

A handler that cannot do its work raises :class:`CommandFailed`: ``syncd.cli`` says it on stderr,
and for a command given ``--json`` also as the one JSON document on stdout, so a script reading
it always gets JSON (``{"error": {"code": …, "message": …}}``) beside the exit code.
"""

from __future__ import annotations


class CommandFailed(Exception):
    """A command's work could not be done; ``code`` is stable for scripts, the message for a person."""

    def __init__(self, code: str, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.code, self.message, self.exit_code = code, message, exit_code
