"""syncd: a Telegram channel for the Okdesk helpdesk (polling, exactly once, any file)."""

__version__ = "0.1.0"
