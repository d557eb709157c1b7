"""Writing a syncd config file (TOML) from sections, as the e2e tests, the benchmarks and the sandbox do."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def write_config(path: Path, sections: dict[str, dict[str, Any]]) -> None:
    """``{"okdesk": {"url": …}}`` as TOML; a None value is left out (the setting keeps its default)."""
    lines: list[str] = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {_toml_value(val)}" for key, val in values.items() if val is not None]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    os.chmod(path, 0o600)  # it holds (stand-in) tokens; the daemon warns about a config others may read
