"""The pure decisions stay pure: importing every module of syncd.sync loads no HTTP client, no
Telethon and no database library (checked in a fresh interpreter, whose sys.modules holds only what
those imports pulled in)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = ("requests", "urllib3", "telethon", "sqlalchemy", "alembic", "psycopg", "apscheduler")

PROBE = """
import importlib, json, pkgutil, sys
import syncd.sync
names = [m.name for m in pkgutil.walk_packages(syncd.sync.__path__, "syncd.sync.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def test_importing_the_decisions_loads_no_outside_library() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, timeout=60,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, check=True)
    found = json.loads(done.stdout)
    assert "syncd.sync.planner" in found["modules"] and "syncd.sync.routing" in found["modules"]
    assert [name for name in FORBIDDEN if name in found["loaded"]] == []
