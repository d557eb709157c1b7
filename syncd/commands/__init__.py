"""The subcommands of ``syncd``: one module each, with ``register(subparsers)``.

A module's ``register`` adds its parser and sets ``handler=`` (a function of the parsed args and
the settings, returning the exit code). ``syncd.cli`` finds the modules here by itself.
"""
