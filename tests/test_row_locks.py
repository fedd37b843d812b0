"""Every row lock the app takes is FOR NO KEY UPDATE (tests/reminders/test_pass_locks.py says why: a
plain FOR UPDATE waits for the foreign-key checks of the daily reminder pass, up to its whole commit),
and a lock on a query that joins other tables names the rows it means (tests/test_lock_scope.py says
why: without OF, PostgreSQL locks the joined rows too, such as an occupation every worker shares).

The tests there prove it for the paths that exist; these keep a new `select_for_update()` from
bringing either stall back."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("config", "core", "sponsors", "registration", "contributions", "notifications", "seeds")


def _keyword(call: ast.Call, name: str):
    return next((k.value for k in call.keywords if k.arg == name), None)


def _row_locks() -> list[dict]:
    """Every `.select_for_update(...)` call in the app's code: where, its no_key and of arguments, and
    whether the statement it is in also calls select_related (a join). And every lock clause of a
    hand-written statement (`connection.ops.for_update_sql(...)`), counted as a join: its no_key may be
    the backend's feature flag (SQLite has no such lock), but must not be left out or False."""
    found = []
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            statements = [node for node in ast.walk(tree) if isinstance(node, ast.stmt)]
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                if getattr(node.func, "attr", None) == "for_update_sql":
                    no_key = _keyword(node, "no_key")
                    found.append({
                        "where": f"{path.relative_to(ROOT)}:{node.lineno}",
                        "no_key": no_key is not None and not (isinstance(no_key, ast.Constant) and not no_key.value),
                        "of": _keyword(node, "of") is not None,
                        "joins": True,
                    })
                    continue
                if getattr(node.func, "attr", None) != "select_for_update":
                    continue
                # The innermost statement holding the call: the whole queryset chain.
                statement = min(
                    (s for s in statements if s.lineno <= node.lineno and node.end_lineno <= s.end_lineno
                     and any(n is node for n in ast.walk(s))),
                    key=lambda s: s.end_lineno - s.lineno,
                )
                no_key = _keyword(node, "no_key")
                found.append({
                    "where": f"{path.relative_to(ROOT)}:{node.lineno}",
                    "no_key": isinstance(no_key, ast.Constant) and no_key.value is True,
                    "of": _keyword(node, "of") is not None,
                    "joins": any(
                        isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "select_related"
                        for n in ast.walk(statement)
                    ),
                })
    return found


def test_every_row_lock_in_the_app_is_for_no_key_update():
    locks = _row_locks()

    assert len(locks) >= 10  # the invoice, credit, enrollment, account, OTP, ledger and reminder locks
    assert [lock["where"] for lock in locks if not lock["no_key"]] == []


def test_every_row_lock_on_a_join_names_its_rows():
    locks = _row_locks()

    assert len([lock for lock in locks if lock["joins"]]) >= 2  # the worker's lock, the invoice's
    assert [lock["where"] for lock in locks if lock["joins"] and not lock["of"]] == []
