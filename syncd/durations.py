"""Durations in words for a person reading a command's output: "3 min ago", "2 h 5 min"."""

from __future__ import annotations


def duration_words(seconds: float) -> str:
    s = int(max(seconds, 0))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(s // 3600, 24)
    return f"{d} d {h} h" if h else f"{d} d"


def ago(seconds: float | None, never: str = "never") -> str:
    return never if seconds is None else f"{duration_words(seconds)} ago"
