"""Races: the same call in several threads at the same moment, each on its own database connection."""

import threading

from django.db import connections


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
