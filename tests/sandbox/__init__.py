"""A sandbox for newcomers: the real `syncd run` against the test-suite's stand-ins, driven from a terminal.

`python -m tests.sandbox` starts the Okdesk emulator and the Telegram test server on 127.0.0.1, the
unmodified daemon as a subprocess against them, and a prompt where one types as a Telegram client
and as Okdesk staff. It lives with the stand-ins in `tests/`: the product opens no port and never
imports from here.
"""
