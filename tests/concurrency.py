"""Races: the same call in several threads at the same moment, each on its own database connection;
and one write while another connection holds its transaction open."""

import threading

from django.db import connection, connections, transaction


def run_together(call, count: int, *, timeout: float = 60) -> list:
    """Run `call(n)` for n in range(count), one thread each, released together by a barrier.

    Returns the results in the order of n. Fails the test if a thread hangs or raises.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[n] = call(n)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not [thread for thread in threads if thread.is_alive()], "a thread hung"
    assert errors == [], errors
    return results


def while_held(hold, write, *, lock_timeout: str = "2s", timeout: float = 30):
    """Run `hold()` in a transaction of another connection and keep it open while `write()` runs in a
    transaction with `lock_timeout`: a write that waits for hold's locks fails instead of hanging.

    Returns what `hold()` returned. Fails the test if hold raises or its thread hangs.
    """
    held, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def holder():
        try:
            with transaction.atomic():
                outcome["result"] = hold()
                held.set()
                release.wait(timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc
            held.set()
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(timeout=timeout)
        assert "error" not in outcome, outcome
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
            write()
    finally:
        release.set()
        thread.join(timeout=timeout)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome
    return outcome["result"]
