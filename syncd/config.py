"""Settings: one frozen object built from a TOML file and ``SYNCD_<SECTION>_<KEY>`` variables.

Every problem is collected and reported at once (a sysadmin fixing a config file one
error per restart is a sysadmin who gives up), as one :class:`ConfigError`.
"""

from __future__ import annotations

import difflib
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_type_hints
from urllib.parse import unquote, urlsplit

from syncd.config_rules import apply_defaults_and_checks
from syncd.proxies import proxy_secrets
from syncd.statuscodes import StatusCodes, parse_status_codes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_CONFIG_PATH = Path("/etc/syncd/config.toml")
# Staff never heard of the bot: the reopening's private comment names it, and the client.
REOPEN_COMMENT = ("Клиент {client} возобновил заявку через Telegram-канал службы поддержки (бот). "
                  "Причина — в его комментарии, добавленном следом.")


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
    # status change); empty: none. The client's own words follow as their comment. "{client}": the
    # client's name (their Okdesk contact's).
    reopen_comment: str = REOPEN_COMMENT
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
    # One daemon per database: seconds a daemon's lease lasts unless renewed (every third of it);
    # a daemon killed on another host blocks a new start this long (syncd.store.lease).
    lease_timeout: float = 30.0


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
    # Seconds between two checks that updated_since hides nothing (the newest issue must be listed).
    # Under poll_overlap less a minute and a poll interval, a filter that hides is caught while what it
    # hid is still inside the overlap, so the next poll, without the filter, brings it.
    updated_since_check: float = 60.0
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
    # How long a question waits for the client (where a message goes, reopen or not, write your comment,
    # describe the problem, your remark); after it the question is over and the client is told so.
    question_ttl: float = 3600.0
    # The older name of question_ttl for the questions waiting for a message ("Comment", "New request",
    # a remark): when set, it wins for those (kept so that configurations setting it go on working).
    comment_window: float | None = None
    # After "Comment" or "New request", messages sent this close together (a text, then a photo: picking
    # a photo on a phone takes a few seconds) are one comment or one issue; 0: the first message alone.
    burst_window: float = 8.0
    # An upload Okdesk keeps failing (5xx) for this long is taken as a refusal of the files.
    file_retry_window: float = 300.0
    # An album arrives as several messages: it is one unit once this many seconds passed quietly.
    album_settle: float = 1.5
    # Messages of one client taken per minute; more wait their turn (never dropped).
    client_messages_per_minute: float = 20.0
    # Clients whose messages are posted to Okdesk at the same time.
    inbound_concurrency: int = 4
    # A client's message the worker has tried to post this long without success (Okdesk down, busy or
    # slow) is acknowledged once, as a reply: received, and passed on by itself. 0: never.
    ack_after: float = 60.0
    # A rating sent without an answer (timeout, crash) is looked at again this often, and at start.
    recheck_interval: float = 300.0
    # A status change the daemon made for the client (a reopening) is not announced back to them when
    # the poll sees it within this many seconds of the request; seen later, it is (it may not be ours).
    own_change_window: float = 3600.0
    # Personal data (message texts, phones, delivered texts) is kept this many days at most; 0: kept.
    personal_data_days: float = 90.0
    # A loop (poll, outbox, inbound) silent this long is hung: the systemd watchdog pings stop.
    # 0: derived from the Okdesk timeouts (syncd/app/liveness.py).
    hang_timeout: float = 0.0

    @property
    def message_wait(self) -> float:
        """Seconds a question waiting for the client's message lasts (sync.comment_window if set)."""
        return self.comment_window if self.comment_window is not None else self.question_ttl


@dataclass(frozen=True)
class LogSettings:
    level: str = "INFO"
    format: str = "auto"  # auto | json | console


@dataclass(frozen=True)
class MetricsSettings:
    # Prometheus text file for node_exporter's textfile collector (syncd/app/metrics.py): the daemon opens
    # no port. Unset: none written.
    textfile: str | None = None
    # Seconds between two writes of it.
    interval: float = 5.0


@dataclass(frozen=True)
class Settings:
    okdesk: OkdeskSettings
    telegram: TelegramSettings
    state: StateSettings
    sync: SyncSettings
    log: LogSettings
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
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
    "metrics": MetricsSettings,
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
            number = float(str(value).strip())
            if not math.isfinite(number):  # "nan" and "inf" parse, and would make a loop never wake
                raise ValueError
            return number
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
        except OSError as exc:  # a directory, an unreadable disk: said like the others, never a traceback
            problems.append(f"config file {config_path} cannot be read ({exc.strerror or type(exc).__name__})")

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
                problems.append(f"{section_name}.{key}: unknown setting{_nearest(key, known)}")
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

    problems += unknown_variables(env)
    apply_defaults_and_checks(built, env, problems)
    if problems:
        raise ConfigError(problems)
    return Settings(
        **{name: SECTIONS[name](**values) for name, values in built.items()},
        source=str(config_path) if config_path else None,
    )


# Variables of ours that are no setting: the config file's path.
OTHER_VARIABLES = ("SYNCD_CONFIG",)


def known_variables() -> list[str]:
    names = [f"SYNCD_{section.upper()}_{f.name.upper()}" for section, cls in SECTIONS.items() for f in fields(cls)]
    return names + list(OTHER_VARIABLES)


def unknown_variables(env: Mapping[str, str]) -> list[str]:
    """A ``SYNCD_…`` variable that names no setting, said as an unknown key in the file is: a typo
    (``SYNCD_TELEGRAM_BOT_TOKN``) would otherwise be silently ignored, and its setting left at the
    file's value or its default."""
    known = known_variables()
    return [f"{name} (environment): unknown setting{_nearest(name, known)}"
            for name in sorted(env) if name.startswith("SYNCD_") and name not in known]


def _nearest(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


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
