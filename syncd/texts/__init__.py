"""Every text the bot shows a client or writes to staff, in Russian and English.

Russian is the default: most clients write in Russian, and the CIS languages get Russian too.
Each feature keeps its texts in a module of its own; they are merged here, and a key defined
twice is an error at import, not a silent override.
"""

from __future__ import annotations

from typing import Any

from syncd.texts import ack, company, core, dialog, notices, outbound, rating, reopen, signup

RUSSIAN_FOR = {"ru", "uk", "be", "kk", "ky", "uz", "tg", "hy", "az", "ka", "ro", "tk"}


def _merge(*modules: Any) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {"ru": {}, "en": {}}
    for module in modules:
        for lang, texts in module.TEXTS.items():
            twice = merged[lang].keys() & texts.keys()
            if twice:
                raise RuntimeError(f"texts defined twice: {sorted(twice)}")
            merged[lang].update(texts)
    return merged


TEXTS = _merge(core, rating, reopen, company, notices, signup, ack, dialog, outbound)


def language_for(tg_lang_code: str | None, default: str = "ru") -> str:
    code = (tg_lang_code or "").split("-")[0].lower()
    if code == "en":
        return "en"
    if code in RUSSIAN_FOR:
        return "ru"
    return default


def t(lang: str, key: str, **values: object) -> str:
    text = TEXTS.get(lang, TEXTS["ru"]).get(key) or TEXTS["ru"][key]
    return text.format(**values) if values else text


def human_size(size: int | None, lang: str = "ru") -> str:
    if size is None:
        return "?"
    units = [("unit_gb", 1 << 30), ("unit_mb", 1 << 20), ("unit_kb", 1 << 10)]
    for key, scale in units:
        if size >= scale:
            value = size / scale
            shown = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{shown} {t(lang, key)}"
    return f"{size} {t(lang, 'unit_b')}"
