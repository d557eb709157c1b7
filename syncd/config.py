"""Settings: one frozen object built from a TOML file and ``SYNCD_<SECTION>_<KEY>`` variables.

Every problem is collected and reported at once (a sysadmin fixing a config file one
error per restart is a sysadmin who gives up), as one :class:`ConfigError`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_type_hints
from urllib.parse import unquote, urlsplit

from syncd.proxies import ProxyUrlError, check_okdesk_proxy, parse_telegram_proxy, proxy_secrets
from syncd.statuscodes import StatusCodes, parse_status_codes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_CONFIG_PATH = Path("/etc/syncd/config.toml")


class ConfigError(Exception):
    """All configuration problems, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


def _required() -> Any:
    return field(default=None, metadata={"required": True})


def _secret(required: bool = True) -> Any:
    return field(default=None, repr=False, metadata={"required": required, "secret": True})


@dataclass(frozen=True)
class OkdeskSettings:
    url: str = _required()
    api_token: str = _secret()
    # Employee who signs the private notices to staff ("the client did not get ...").
    employee_id: int | None = None
    create_contacts: bool = True
    max_requests_per_minute: float = 120.0
    timeout: float = 30.0
    connect_timeout: float = 5.0
    # http(s)://[user:password@]host:port; may hold a password: kept out of repr, may be a credential.
    proxy: str | None = _secret(required=False)
    # Account time zone as "+03:00"; empty: learned from Okdesk's own timestamps.
    timezone: str | None = None
    # Type and priority codes of issues clients create from Telegram; empty: the account's defaults.
    issue_type: str = ""
    issue_priority: str = ""
    # Which status codes are open, completed and closed (syncd/statuscodes.py): "My issues", rating, reopen.
    statuses: StatusCodes = field(default_factory=StatusCodes)
    # A completed issue's notification asks the client for Okdesk's rating (bad / normal / good).
    ratings: bool = True
    # A client writing on an issue completed at most this many days ago may reopen it; 0: never.
    reopen_days: float = 7.0
    # Sent with the reopening status change as a private comment (an account may require one for every
    # status change); empty: none. The client's own words follow as their comment.
    reopen_comment: str = "Клиент возобновил заявку из Telegram"
    # Clients no contact matches may link as a company's client, found by its INN.
    company_clients: bool = True
    # Code of the company custom parameter that holds its INN.
    company_inn_parameter: str = "inn"
    # "Open in portal" on issue cards: a one-time login link to Okdesk's client portal, minted per press.
    portal_links: bool = True


@dataclass(frozen=True)
class TelegramSettings:
    api_id: int = _required()
    api_hash: str = _secret()
    bot_token: str = _secret()
    default_language: str = "ru"
    # Shown to clients who cannot be linked automatically ("call +7 495 ...").
    support_contact: str = ""
    # socks5://[user:password@]host:port, http://[user:password@]host:port or mtproxy://SECRET@host:port
    proxy: str | None = _secret(required=False)
    # A handler's reply (a menu, a card, a question) waits out a FloodWait of at most this many seconds,
    # holding the client's other updates meanwhile; a longer one is logged as an error and the reply dropped.
    reply_flood_max: float = 30.0
    # A send Telegram answers RANDOM_ID_DUPLICATE (its first call still in flight there) is asked again
    # with the same random_id for this many seconds; after that Telegram is taken to have it.
    in_flight_window: float = 300.0
    # Messages read back by id after Telegram skipped a gap in its updates (differenceTooLong), at most.
    recover_max_messages: int = 10000


@dataclass(frozen=True)
class StateSettings:
    dir: str = ""
    database_url: str = ""


@dataclass(frozen=True)
class SyncSettings:
    # Seconds between polls, fixed; unset: adaptive (syncd.sync.account.poll_schedule), fast once
    # comments are known to bump updated_at, 15 s otherwise.
    poll_interval: float | None = None
    # Share of okdesk.max_requests_per_minute the poll and its safety-net sweep spend when comments
    # bump updated_at: the fastest polling costs this much (lower it for a lighter load).
    poll_share: float = 1 / 3
    # Issues showing their last update at the moment of their latest comment before "comments bump
    # updated_at" is believed.
    bump_evidence: int = 5
    # updated_since is honoured only to the minute, and clocks drift: look back this far.
    poll_overlap: float = 180.0
    # Shortest time between two reconcile visits of the same issue, whatever the budget allows.
    reconcile_min_period: float = 60.0
    # Fraction of okdesk.max_requests_per_minute the reconcile sweep may use.
    reconcile_share: float = 0.5
    retry_base: float = 1.0
    retry_cap: float = 60.0
    retry_budget: float = 86400.0
    per_chat_interval: float = 1.0
    global_rate: float = 30.0
    max_file_mb: float = 2000.0
    photo_max_mb: float = 10.0
    images_as_documents: bool = False
    shutdown_grace: float = 30.0
    # How often the outbox is looked at when nothing woke the sender up.
    sender_idle: float = 1.0
    status_refresh: float = 3600.0
    # Two messages with the same text and files from one client within this many seconds are
    # one request: at most one issue.
    duplicate_window: float = 60.0
    # After "Comment" on a card, the client's next message within this many seconds is the comment.
    comment_window: float = 1800.0
    # An upload Okdesk keeps failing (5xx) for this long is taken as a refusal of the files.
    file_retry_window: float = 300.0
    # An album arrives as several messages: it is one unit once this many seconds passed quietly.
    album_settle: float = 1.5
    # Messages of one client taken per minute; more wait their turn (never dropped).
    client_messages_per_minute: float = 20.0
    # Clients whose messages are posted to Okdesk at the same time.
    inbound_concurrency: int = 4
    # A rating sent without an answer (timeout, crash) is looked at again this often, and at start.
    recheck_interval: float = 300.0
    # Personal data (message texts, phones, delivered texts) is kept this many days at most; 0: kept.
    personal_data_days: float = 90.0
    # A loop (poll, outbox, inbound) silent this long is hung: the systemd watchdog pings stop.
    # 0: derived from the Okdesk timeouts (syncd/liveness.py).
    hang_timeout: float = 0.0


@dataclass(frozen=True)
class LogSettings:
    level: str = "INFO"
    format: str = "auto"  # auto | json | console


@dataclass(frozen=True)
class Settings:
    okdesk: OkdeskSettings
    telegram: TelegramSettings
    state: StateSettings
    sync: SyncSettings
    log: LogSettings
    source: str | None = None

    @property
    def state_dir(self) -> Path:
        return Path(self.state.dir)

    @property
    def database_url(self) -> str:
        return self.state.database_url or f"sqlite:///{self.state_dir / 'syncd.sqlite3'}"

    @property
    def session_path(self) -> Path:
        return self.state_dir / "telegram.session"

    @property
    def okdesk_api_base(self) -> str:
        url = self.okdesk.url.rstrip("/")
        return url if url.endswith("/api/v1") else url + "/api/v1"

    def secrets(self) -> list[str]:
        """Values that must never reach a log line or a traceback."""
        values = [self.okdesk.api_token, self.telegram.api_hash, self.telegram.bot_token]
        # Proxy passwords and the MTProxy secret, in every form they may be printed in.
        values += proxy_secrets(self.okdesk.proxy) + proxy_secrets(self.telegram.proxy)
        # And a password in the database URL (postgresql://user:password@host/db), as written and decoded.
        try:
            password = urlsplit(self.state.database_url).password
        except ValueError:  # a malformed URL: the database driver will say so, without it
            password = None
        if password:
            values += [password, unquote(password)]
        return [s for s in values if s]


SECTIONS: dict[str, type] = {
    "okdesk": OkdeskSettings,
    "telegram": TelegramSettings,
    "state": StateSettings,
    "sync": SyncSettings,
    "log": LogSettings,
}


def find_config_path(explicit: str | None, env: Mapping[str, str]) -> Path | None:
    if explicit:
        return Path(explicit)
    if env.get("SYNCD_CONFIG"):
        return Path(env["SYNCD_CONFIG"])
    if DEFAULT_CONFIG_PATH.exists():
        return DEFAULT_CONFIG_PATH
    return None


def _base_type(hint: Any) -> tuple[type, bool]:
    """`int | None` -> (int, True); `str` -> (str, False)."""
    args = [a for a in get_args(hint) if a is not type(None)]
    if args:
        return args[0], True
    return hint, False


def _convert(value: Any, hint: Any, where: str, problems: list[str]) -> Any:
    target, optional = _base_type(hint)
    if target is StatusCodes:
        return parse_status_codes(value, where, problems)
    base = target.__name__
    if value is None or (isinstance(value, str) and value == "" and optional):
        return None
    try:
        if base == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if base == "int":
            if isinstance(value, bool):
                raise ValueError
            return int(str(value).strip())
        if base == "float":
            if isinstance(value, bool):
                raise ValueError
            return float(str(value).strip())
        if base == "str":
            if not isinstance(value, (str, int, float)):
                raise ValueError
            return str(value)
    except ValueError:
        problems.append(f"{where}: expected {base}, got {value!r}" if base != "str" else f"{where}: expected text")
        return None
    return value


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None, *,
                  secrets_required: bool = True) -> Settings:
    """Build the settings from ``path`` (may be None) and ``env``; raise ConfigError listing all problems."""
    env = os.environ if env is None else env
    problems: list[str] = []
    data: dict[str, Any] = {}
    config_path = find_config_path(str(path) if path else None, env)
    if config_path is not None:
        try:
            with open(config_path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            problems.append(f"config file {config_path} does not exist")
        except PermissionError:
            problems.append(f"config file {config_path} is not readable by this user")
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"config file {config_path} is not valid TOML: {exc}")

    for name in data:
        if name not in SECTIONS:
            problems.append(f"unknown section [{name}] (known: {', '.join(SECTIONS)})")

    built: dict[str, Any] = {}
    for section_name, cls in SECTIONS.items():
        section = data.get(section_name, {})
        if not isinstance(section, dict):
            problems.append(f"[{section_name}] must be a table")
            section = {}
        hints = get_type_hints(cls)
        known = {f.name for f in fields(cls)}
        for key in section:
            if key not in known:
                problems.append(f"{section_name}.{key}: unknown setting")
        values: dict[str, Any] = {}
        for f in fields(cls):
            env_key = f"SYNCD_{section_name.upper()}_{f.name.upper()}"
            where = f"{section_name}.{f.name}"
            credential = _credential(f"{section_name}_{f.name}", env, problems) if f.metadata.get("secret") else None
            if env_key in env:
                raw, where = env[env_key], f"{env_key} (environment)"
            elif credential is not None:
                raw, where = credential, f"credential {section_name}_{f.name}"
            elif f.name in section:
                raw = section[f.name]
            else:
                raw = _default(f)
            value = _convert(raw, hints[f.name], where, problems)
            # `status` and `retry` read only the database: a root shell without the service's
            # secrets (they live in its credentials) may still run them.
            needed = f.metadata.get("required") and (secrets_required or not f.metadata.get("secret"))
            if needed and value in (None, ""):
                also = f", or the credential {section_name}_{f.name}" if f.metadata.get("secret") else ""
                problems.append(f"{section_name}.{f.name} is required (or set {env_key}{also})")
            if value is None and not f.metadata.get("required"):
                value = _default(f)
            values[f.name] = value
        built[section_name] = values

    _apply_defaults_and_checks(built, env, problems)
    if problems:
        raise ConfigError(problems)
    return Settings(
        **{name: SECTIONS[name](**values) for name, values in built.items()},
        source=str(config_path) if config_path else None,
    )


def _default(f: Any) -> Any:
    """A field's default, made fresh when it has a factory (the status groups)."""
    return f.default_factory() if callable(f.default_factory) else f.default


def _credential(name: str, env: Mapping[str, str], problems: list[str]) -> str | None:
    """A secret from systemd's ``$CREDENTIALS_DIRECTORY`` (``LoadCredential=``); None when not given.

    The unit delivers ``okdesk_api_token``; the same file in /etc/credstore is named
    ``syncd.okdesk_api_token``, also read, so ``CREDENTIALS_DIRECTORY=/etc/credstore syncd check``
    uses the daemon's secrets. An empty file counts as not given.
    """
    directory = env.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return None
    for file_name in (name, f"syncd.{name}"):
        try:
            text = (Path(directory) / file_name).read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"credential {file_name} in $CREDENTIALS_DIRECTORY cannot be read ({type(exc).__name__})")
            return None
        text = text.strip()  # `echo token > file` leaves a newline that is no part of the token
        return text or None
    return None


def _apply_defaults_and_checks(built: dict[str, dict[str, Any]], env: Mapping[str, str], problems: list[str]) -> None:
    state = built["state"]
    if not state["dir"]:
        state["dir"] = env.get("STATE_DIRECTORY", "").split(":")[0] or "state"
    okdesk, sync, log, tg = built["okdesk"], built["sync"], built["log"], built["telegram"]
    url = okdesk.get("url") or ""
    if url and not url.startswith(("http://", "https://")):
        problems.append(f"okdesk.url must start with https:// (got {url!r})")
    positive = ("poll_interval", "bump_evidence", "retry_base", "retry_cap", "retry_budget", "global_rate", "max_file_mb", "photo_max_mb",
                "client_messages_per_minute", "inbound_concurrency", "recheck_interval")
    for key in positive:
        if sync.get(key) is not None and sync[key] <= 0:
            problems.append(f"sync.{key} must be greater than 0")
    for key in ("poll_overlap", "per_chat_interval", "shutdown_grace", "reconcile_min_period", "duplicate_window",
                "comment_window", "file_retry_window", "album_settle", "hang_timeout", "personal_data_days"):
        if sync.get(key) is not None and sync[key] < 0:
            problems.append(f"sync.{key} must not be negative")
    share = sync.get("reconcile_share")
    if share is not None and not 0 < share < 1:
        problems.append("sync.reconcile_share must be between 0 and 1")
    if sync.get("poll_share") is not None and not 0 < sync["poll_share"] <= 1:
        problems.append("sync.poll_share must be greater than 0 and at most 1")
    if sync.get("max_file_mb") and sync["max_file_mb"] > 2000:
        problems.append("sync.max_file_mb: Telegram bots cannot send files over 2000 MB")
    if okdesk.get("reopen_days") is not None and okdesk["reopen_days"] < 0:
        problems.append("okdesk.reopen_days must not be negative")
    if okdesk.get("company_clients") and not str(okdesk.get("company_inn_parameter") or "").strip():
        problems.append("okdesk.company_inn_parameter is required while okdesk.company_clients is on")
    rpm = okdesk.get("max_requests_per_minute")
    if rpm is not None and rpm < 6:
        problems.append("okdesk.max_requests_per_minute must be at least 6")
    if log.get("level") and str(log["level"]).upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        problems.append("log.level must be one of DEBUG, INFO, WARNING, ERROR")
    if log.get("format") not in ("auto", "json", "console"):
        problems.append("log.format must be one of auto, json, console")
    if tg.get("default_language") not in ("ru", "en"):
        problems.append("telegram.default_language must be ru or en")
    if tg.get("reply_flood_max") is not None and tg["reply_flood_max"] < 0:
        problems.append("telegram.reply_flood_max must not be negative")
    # 0 would take every RANDOM_ID_DUPLICATE as delivered at once: the belief that loses messages.
    if tg.get("in_flight_window") is not None and tg["in_flight_window"] <= 0:
        problems.append("telegram.in_flight_window must be greater than 0")
    if tg.get("recover_max_messages") is not None and tg["recover_max_messages"] < 0:
        problems.append("telegram.recover_max_messages must not be negative")
    tz = okdesk.get("timezone")
    if tz and parse_utc_offset(tz) is None:
        problems.append(f"okdesk.timezone must look like +03:00 (got {tz!r})")
    for where, section, check in (("okdesk.proxy", okdesk, check_okdesk_proxy),
                                  ("telegram.proxy", tg, parse_telegram_proxy)):
        if section.get("proxy"):
            try:
                check(section["proxy"])
            except ProxyUrlError as exc:  # its text never repeats the URL (it may hold a password)
                problems.append(f"{where}: {exc}")


def parse_utc_offset(text: str) -> Any:
    """'+03:00' -> timezone(timedelta(hours=3)); None when malformed."""
    from datetime import timedelta, timezone

    text = text.strip()
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(delta if text[0] == "+" else -delta)

