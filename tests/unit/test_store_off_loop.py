"""The event loop never waits for the database: inside a coroutine, every call to the store (or to a
method of the same class that calls it) goes through ``syncd.store.offloop.off_loop``.

Read from the source, so a new ``self.store.get_job(...)`` written straight into an ``async def``
fails here before it can stall Telegram's updates in production.
"""

from __future__ import annotations

import ast
from pathlib import Path

SYNCD = Path(__file__).resolve().parents[2] / "syncd"
# What reaches the database when called: the repository, the executor (it records failures), and the
# notice queue (it writes outbox rows).
RECEIVERS = {"self.store", "store", "self.executor", "self.notices"}


def _calls(node: ast.AST) -> list[ast.Call]:
    """Calls made by this function's own body, not by functions or lambdas defined inside it."""
    found: list[ast.Call] = []
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(child, ast.Call):
            found.append(child)
        stack.extend(ast.iter_child_nodes(child))
    return found


def _store_call(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and ast.unparse(call.func.value) in RECEIVERS


def _self_call(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
        return func.attr
    return None


def on_the_loop(source: str) -> list[str]:
    """``function: call`` for each store call a coroutine makes without off_loop."""
    found = []
    for cls in [n for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.ClassDef, ast.Module))]:
        methods = [n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        touching = {m.name for m in methods if isinstance(m, ast.FunctionDef) and any(map(_store_call, _calls(m)))}
        for coroutine in [m for m in methods if isinstance(m, ast.AsyncFunctionDef)]:
            for call in _calls(coroutine):
                if _store_call(call) or (isinstance(cls, ast.ClassDef) and _self_call(call) in touching):
                    found.append(f"{coroutine.name}: {ast.unparse(call)[:80]}")
    return found


def test_no_coroutine_calls_the_store_on_the_loop() -> None:
    offenders = {}
    for path in sorted(SYNCD.rglob("*.py")):
        found = on_the_loop(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(path.relative_to(SYNCD.parent))] = found
    assert offenders == {}


def test_the_check_sees_a_direct_call_and_one_through_a_helper() -> None:
    source = '''
class Worker:
    def _mark(self, job_id):
        self.store.update_job(job_id, state="done")

    async def run(self, job_id):
        job = self.store.get_job(job_id)
        self._mark(job_id)
        fine = await off_loop(self.store.get_job, job_id)
        also_fine = await off_loop(self._mark, job_id)
'''
    assert sorted(on_the_loop(source)) == ["run: self._mark(job_id)", "run: self.store.get_job(job_id)"]
