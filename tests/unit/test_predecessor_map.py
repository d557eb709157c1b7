"""tests/PREDECESSOR.md names, for every failure of the system our users leave, the tests that show
ours does not fail so. A renamed or deleted test must not leave a row pointing at nothing: every
reference resolves to a test function in its file (the suite itself says whether it passes)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
# `e2e/test_x.py::test_y`, a bare `::test_z` (same file as the reference before it), or a file glob.
REFERENCE = re.compile(r"`(?:((?:[\w*]+/)*test_[\w*]*\.py)(?:::(\w+))?|::(\w+))`")


def references(text: str) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    current: str | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        current = None  # a bare ::name continues a file named on its own row only
        for path, name, bare in REFERENCE.findall(line):
            current = path or current
            if current is not None:
                found.append((current, (name or bare) or None))
    return found


def test_every_row_names_tests_that_exist() -> None:
    text = (TESTS / "PREDECESSOR.md").read_text(encoding="utf-8")
    refs = references(text)
    assert len(refs) > 40  # the map was read, not skipped
    missing = []
    for path, name in refs:
        files = sorted(TESTS.glob(path))
        if not files:
            missing.append(path)
            continue
        if name is not None and not any(re.search(rf"^(async )?def {name}\(", f.read_text(encoding="utf-8"), re.M)
                                        for f in files):
            missing.append(f"{path}::{name}")
    assert missing == []


def test_a_bare_name_belongs_to_the_file_before_it() -> None:
    row = "| x | `e2e/a/test_one.py::test_a`, `::test_b`, `unit/test_two.py` |"
    assert references(row) == [("e2e/a/test_one.py", "test_a"), ("e2e/a/test_one.py", "test_b"),
                               ("unit/test_two.py", None)]


def test_every_failure_has_a_test() -> None:
    rows = [line for line in (TESTS / "PREDECESSOR.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and not line.startswith(("| failure |", "| it offered |"))]
    assert len(rows) > 30
    assert [row[:80] for row in rows if not references(row)] == []
