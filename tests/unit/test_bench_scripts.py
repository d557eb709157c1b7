"""The benchmark scripts are not run by the suite (minutes each), but they must keep importing:
a helper they share with the tests may move."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[1] / "bench"


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCH.glob("bench_*.py")))
def test_each_bench_script_imports_and_has_a_main(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))  # the scripts import their siblings, as when run from there
    module = importlib.import_module(name)
    assert callable(module.main)
    sys.modules.pop(name, None)
