"""telegram.proxy and okdesk.proxy: the URL forms accepted, every problem reported at once without
repeating a password or secret, and the secrets handed to the log redaction."""

from __future__ import annotations

import base64

import pytest

from syncd.config import ConfigError, load_settings
from syncd.logs import SECRETS, register_secret
from syncd.proxies import TelegramProxy, parse_telegram_proxy, proxy_secrets
from tests.unit.test_config import REQUIRED_ENV

KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
DD_B64 = base64.urlsafe_b64encode(bytes([0xDD]) + KEY).decode()


def settings_with(telegram_proxy: str | None = None, okdesk_proxy: str | None = None):  # type: ignore[no-untyped-def]
    env = dict(REQUIRED_ENV)
    if telegram_proxy is not None:
        env["SYNCD_TELEGRAM_PROXY"] = telegram_proxy
    if okdesk_proxy is not None:
        env["SYNCD_OKDESK_PROXY"] = okdesk_proxy
    return load_settings(None, env)


@pytest.mark.parametrize("url, expected", [
    ("socks5://proxy.lan:1080", TelegramProxy("socks5", "proxy.lan", 1080)),
    ("SOCKS5://u:p%40ss@10.0.0.1:1080/", TelegramProxy("socks5", "10.0.0.1", 1080, "u", "p@ss")),
    ("socks5h://u:p@proxy.lan:1080", TelegramProxy("socks5", "proxy.lan", 1080, "u", "p")),
    ("http://u:p@[::1]:3128", TelegramProxy("http", "::1", 3128, "u", "p")),
    (f"mtproxy://{KEY.hex()}@mt.example.org:443", TelegramProxy("mtproxy", "mt.example.org", 443, secret=KEY)),
    (f"mtproxy://dd{KEY.hex().upper()}@mt.example.org:443",
     TelegramProxy("mtproxy", "mt.example.org", 443, secret=KEY, padded=True)),
    (f"mtproxy://{DD_B64}@mt.example.org:443",
     TelegramProxy("mtproxy", "mt.example.org", 443, secret=KEY, padded=True)),
    (f"tg://proxy?server=mt.example.org&port=8443&secret=dd{KEY.hex()}",
     TelegramProxy("mtproxy", "mt.example.org", 8443, secret=KEY, padded=True)),
    (f"https://t.me/proxy?server=1.2.3.4&port=443&secret={KEY.hex()}",
     TelegramProxy("mtproxy", "1.2.3.4", 443, secret=KEY)),
])
def test_telegram_proxy_forms(url: str, expected: TelegramProxy) -> None:
    assert parse_telegram_proxy(url) == expected
    assert settings_with(telegram_proxy=url).telegram.proxy == url


def test_every_proxy_problem_at_once_and_none_repeats_a_secret() -> None:
    with pytest.raises(ConfigError) as err:
        settings_with(telegram_proxy="socks4://user:hunter22@h:1", okdesk_proxy="socks5://user:hunter22@h:1")
    text = str(err.value)
    assert "telegram.proxy: must be socks5://" in text and "(got socks4://)" in text
    assert "okdesk.proxy: must be http://" in text and "(got socks5://)" in text
    assert "hunter22" not in text


@pytest.mark.parametrize("url, needle", [
    ("socks5://proxy.lan", "port is missing"),
    ("socks5://proxy.lan:0", "port must be a number"),
    ("socks5://proxy.lan:99999", "port must be a number"),
    ("http://:8080", "host is missing"),
    ("socks5://user@proxy.lan:1080", "both a user name and a password"),
    ("socks5://:secretpw@proxy.lan:1080", "both a user name and a password"),
    ("socks5://proxy.lan:1080/path", "nothing after the port"),
    ("https://proxy.lan:3128", "must be socks5://"),
    ("proxy.lan:1080", "must be socks5://"),
    ("mtproxy://mt.example.org:443", "mtproxy://SECRET@host:port"),
    ("mtproxy://0011223344@mt.example.org:443", "32 hex digits"),
    (f"mtproxy://ee{KEY.hex()}6578616d706c652e636f6d@mt.example.org:443", "fake-TLS"),
    ("tg://proxy?server=mt.example.org&port=443", "needs server=, port= and secret="),
])
def test_bad_telegram_proxies_are_named_in_plain_words(url: str, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_with(telegram_proxy=url)
    assert "telegram.proxy: " in str(err.value) and needle in str(err.value)
    assert "secretpw" not in str(err.value) and KEY.hex() not in str(err.value)


def test_okdesk_proxy_is_http_or_https_the_port_optional() -> None:
    assert settings_with(okdesk_proxy="http://squid.lan:3128").okdesk.proxy == "http://squid.lan:3128"
    assert settings_with(okdesk_proxy="https://u:p@squid.lan").okdesk.proxy == "https://u:p@squid.lan"
    for url, needle in (("squid.lan:3128", "must be http://"), ("http://u@squid.lan:3128", "both a user name"),
                        ("http://squid.lan:http", "port must be a number")):
        with pytest.raises(ConfigError, match=f"okdesk.proxy: .*{needle}"):
            settings_with(okdesk_proxy=url)


def test_proxy_passwords_and_the_mtproxy_secret_are_secrets_kept_out_of_repr() -> None:
    settings = settings_with(telegram_proxy="socks5://syncd:p%21ss-w0rd@h:1080",
                             okdesk_proxy="http://okd:squid-pass@h:3128")
    secrets = set(settings.secrets())
    assert {"p%21ss-w0rd", "p!ss-w0rd", "syncd:p%21ss-w0rd", "squid-pass", "okd:squid-pass"} <= secrets
    assert "syncd" not in secrets  # a user name alone would blank out every "syncd" in the logs
    assert "p!ss-w0rd" not in repr(settings.telegram) and "squid-pass" not in repr(settings.okdesk)

    mt = settings_with(telegram_proxy=f"mtproxy://dd{KEY.hex()}@h:443")
    forms = {f"dd{KEY.hex()}", KEY.hex(), KEY.hex().upper(), base64.b64encode(KEY).decode()}
    assert forms <= set(mt.secrets())
    assert KEY.hex() in proxy_secrets(f"tg://proxy?server=h&port=1&secret={KEY.hex()}")


def test_the_log_redaction_hides_each_form_of_the_secret() -> None:
    register_secret(*settings_with(telegram_proxy=f"mtproxy://{KEY.hex()}@h:443").secrets())
    line = SECRETS.scrub(f"connecting with dd{KEY.hex()} / {KEY.hex().upper()}")
    assert KEY.hex() not in line.lower() and line.count("***") == 2
