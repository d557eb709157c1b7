"""The state store: SQLAlchemy tables, versioned migrations, and the repository the daemon uses."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.store.db import SchemaError, make_engine, migrate
    from syncd.store.repo import Store

__all__ = ["SchemaError", "Store", "make_engine", "migrate"]

# Loaded on first use, not with the package: a command module imports syncd.store.states (plain
# names) at its top, and that must not load SQLAlchemy and Alembic for `syncd --help`.
_HOMES = {"SchemaError": "syncd.store.db", "make_engine": "syncd.store.db", "migrate": "syncd.store.db",
          "Store": "syncd.store.repo"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
