"""QUALITY.md Performance 2: reminders sent through a real Celery worker and Redis, against a no-op task.

One worker, `celery -A bench.celery_app worker --pool prefork --concurrency 2` (the project's app
plus the no-op task, bench/celery_app.py), the NOTIFY backends `null`, Redis db of the benchmark.

- No-op: 20,000 `bench.noop` tasks are published first to a queue the worker does not consume yet
  (publishing from this process would otherwise take CPU from the 2 worker processes); the clock
  starts when the worker is told to consume it (`add_consumer`) and stops when all 20,000 have
  counted themselves in Redis.
- Reminders: 50,000 planned rows (a random sample of the day's plan, all channels, quiet hours off
  as for `send_reminders --date`); `reminders_queue()` hands them to the worker in batches of 500;
  the clock stops when no row is planned, queued or sending.
The reminder clock includes `reminders_queue` (selecting, marking and publishing the batches), since
it is part of sending. A warm-up (200 no-ops, then 1,000 reminders) runs first.
"""

import os
import socket
import time

from django.db import connection

from bench.common import ROOT, VENV_BIN, Subprocess, bench_env, figure, info, verdict, wait_until

NOOP_TASKS = 20_000
REMINDERS = 50_000
WARMUP_REMINDERS = 1_000
TIMEOUT = 300  # seconds, per wait


def _redis():
    import redis

    from bench.common import BENCH_REDIS_URL

    return redis.Redis.from_url(BENCH_REDIS_URL)


def redis_clean() -> None:
    """Empty what the benchmark put in its Redis db: the queues, unacked messages, counters, cache."""
    client = _redis()
    names = ["bulk", "urgent", "default", "bench_noop", "unacked", "unacked_index", "unacked_mutex", "bench:noop:done"]
    names += [key.decode() for key in client.scan_iter("bpu-bench:*", count=1000)]
    if names:
        client.delete(*names)


class Worker(Subprocess):
    """The Celery worker (prefork, 2 processes)."""

    def __init__(self):
        env = bench_env()
        env["PYTHONPATH"] = str(ROOT)
        self.name = f"bench-{os.getpid()}@{socket.gethostname()}"
        super().__init__(
            [str(VENV_BIN / "celery"), "-A", "bench.celery_app", "worker", "--pool", "prefork", "--concurrency", "2",
             "--loglevel", "WARNING", "-n", self.name],
            log_name="celery-worker.log", env=env,
        )

    def check(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"the celery worker exited ({self.process.returncode}); see var/bench/celery-worker.log")


def _noops(count: int, worker: Worker, *, queue: str = "bulk") -> float:
    """Run `count` no-op tasks. With another queue than `bulk`, they are all published before the
    worker consumes that queue, and the clock starts only then."""
    from bench.celery_app import NOOP_COUNTER, app, noop

    client = _redis()
    client.delete(NOOP_COUNTER)
    started = time.perf_counter()
    for _ in range(count):
        noop.apply_async(queue=queue)
    published = time.perf_counter() - started
    if queue != "bulk":
        started = time.perf_counter()
        replies = app.control.add_consumer(queue, destination=[worker.name], reply=True, timeout=10)
        if not replies:
            raise RuntimeError(f"bench: the worker did not answer add_consumer({queue!r})")

    def done():
        worker.check()
        return int(client.get(NOOP_COUNTER) or 0) >= count

    wait_until(done, timeout=TIMEOUT, interval=0.02, what=f"{count} no-op tasks")
    elapsed = time.perf_counter() - started
    info(f"{count:,} no-op tasks in {elapsed:.2f} s (publishing took {published:.2f} s)")
    return elapsed


def _todo() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM contributions_reminder WHERE status IN ('planned', 'queued', 'sending')")
        return cur.fetchone()[0]


def _dispatch(limit: int, worker: Worker) -> float:
    from contributions.reminders import reminders_queue

    before = _todo()
    started = time.perf_counter()
    queued = reminders_queue(limit=limit)

    def done():
        worker.check()
        return _todo() <= before - queued

    wait_until(done, timeout=TIMEOUT, interval=0.05, what="the reminders to be sent")
    elapsed = time.perf_counter() - started
    info(f"{queued:,} reminders queued and sent in {elapsed:.2f} s")
    return elapsed


def prepare_reminders(day) -> dict[str, int]:
    """Leave exactly WARMUP_REMINDERS + REMINDERS planned rows: a random sample of the day's plan."""
    from contributions.reminders import reminders_plan

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM contributions_reminder")
        if cur.fetchone()[0] < WARMUP_REMINDERS + REMINDERS:
            cur.execute("TRUNCATE contributions_reminder")
            reminders_plan(day=day)
        cur.execute("DROP TABLE IF EXISTS bench_sample")
        cur.execute(
            "CREATE TEMP TABLE bench_sample AS SELECT * FROM contributions_reminder ORDER BY md5(id::text) LIMIT %s",
            [WARMUP_REMINDERS + REMINDERS],
        )
        cur.execute("TRUNCATE contributions_reminder")
        # Quiet hours off, as `send_reminders --date` plans them: the figure must not depend on the hour.
        cur.execute("INSERT INTO contributions_reminder SELECT * FROM bench_sample ORDER BY id")
        cur.execute(
            "UPDATE contributions_reminder SET status = 'planned', respect_quiet_hours = false, attempts = 0, "
            "not_before = NULL, updated_at = now()"
        )
        cur.execute("DROP TABLE bench_sample")
        cur.execute("VACUUM ANALYZE contributions_reminder")
        cur.execute("SELECT channel, count(*) FROM contributions_reminder GROUP BY channel ORDER BY channel")
        return dict(cur.fetchall())


def run(day) -> dict:
    connection.ensure_connection()
    redis_clean()
    channels = prepare_reminders(day)
    info("reminder sample by channel: " + ", ".join(f"{k} {v:,}" for k, v in channels.items()))
    worker = Worker()
    try:
        info("waiting for the celery worker (warm-up: 200 no-op tasks)")
        _noops(200, worker)
        noop_seconds = _noops(NOOP_TASKS, worker, queue="bench_noop")
        info(f"warm-up: {WARMUP_REMINDERS:,} reminders")
        _dispatch(WARMUP_REMINDERS, worker)
        reminder_seconds = _dispatch(REMINDERS, worker)
    finally:
        worker.stop()
        redis_clean()
    with connection.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM contributions_reminder GROUP BY status ORDER BY status")
        statuses = dict(cur.fetchall())
    noop_rate = NOOP_TASKS / noop_seconds
    reminder_rate = REMINDERS / reminder_seconds
    ratio = reminder_rate / noop_rate
    figure("celery_noop_throughput", noop_rate, "tasks/s", f"baseline; {NOOP_TASKS:,} no-op tasks in {noop_seconds:.2f} s")
    figure("reminder_dispatch_throughput", reminder_rate, "reminders/s",
           f"ratio {ratio:.2f} vs baseline; {REMINDERS:,} reminders ({REMINDERS // 500} batches of 500) in "
           f"{reminder_seconds:.2f} s; final statuses " + ", ".join(f"{k} {v:,}" for k, v in statuses.items())
           + f"; target >= 0.50: {verdict(ratio >= 0.5)}")
    return {"noop_seconds": noop_seconds, "reminder_seconds": reminder_seconds, "statuses": statuses,
            "channels": channels}
