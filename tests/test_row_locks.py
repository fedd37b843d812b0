"""Every row lock the app takes is FOR NO KEY UPDATE (tests/reminders/test_pass_locks.py says why: a
plain FOR UPDATE waits for the foreign-key checks of the daily reminder pass, up to its whole commit).

The four tests there prove it for the paths that exist; this one keeps a new `select_for_update()`
from bringing the stall back."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("config", "core", "sponsors", "registration", "contributions", "notifications", "seeds")


def _row_locks() -> list[tuple[str, int, bool]]:
    """(file, line, says no_key=True) of every `.select_for_update(...)` call in the app's code."""
    found = []
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "select_for_update":
                    no_key = any(
                        k.arg == "no_key" and isinstance(k.value, ast.Constant) and k.value.value is True
                        for k in node.keywords
                    )
                    found.append((str(path.relative_to(ROOT)), node.lineno, no_key))
    return found


def test_every_row_lock_in_the_app_is_for_no_key_update():
    locks = _row_locks()

    assert len(locks) >= 10  # the invoice, credit, enrollment, account, OTP, ledger and reminder locks
    assert [f"{path}:{line}" for path, line, no_key in locks if not no_key] == []
