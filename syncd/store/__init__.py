"""The state store: SQLAlchemy tables, versioned migrations, and the repository the daemon uses."""

from syncd.store.db import SchemaError, make_engine, migrate
from syncd.store.repo import Store

__all__ = ["SchemaError", "Store", "make_engine", "migrate"]
