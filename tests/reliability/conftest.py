"""Real processes for the reliability tests: a private `redis-server`, real Celery workers, and Celery in
this process switched from eager to publishing to that Redis. Everything started here is stopped in
fixture teardown, whatever the test did."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis as redis_client
from django.db import connection

from config.celery_app import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"
_MISSING = object()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def age_unacked_deliveries(redis) -> None:
    """Redis hands an unacknowledged message out again once the visibility timeout has passed; instead
    of waiting it out, age every unacknowledged delivery by that timeout (like backdating a row)."""
    visibility = celery_app.conf.broker_transport_options["visibility_timeout"]
    for tag, score in redis.zrange("unacked_index", 0, -1, withscores=True):
        redis.zadd("unacked_index", {tag: score - visibility - 1})


def _stop_group(proc: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 10) -> None:
    if proc.poll() is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # leftover children of a dead leader
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


class RedisServer:
    """A private, non-persistent redis-server on its own port."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis_client.Redis:
        return redis_client.Redis(host="127.0.0.1", port=self.port, db=0, socket_timeout=5)

    def start(self) -> None:
        log = open(self.workdir / f"redis-{self.port}.log", "ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()

        def up():
            try:
                return self.client().ping()
            except redis_client.RedisError:
                assert self.proc.poll() is None, "redis-server exited"
                return False

        wait_for(up, timeout=10, what="redis-server to answer")

    def stop(self) -> None:
        if self.proc is not None:
            _stop_group(self.proc)
            self.proc = None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def reset_broker_pools() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def celery_publishing_to(url: str, settings):
    """Celery in this process stops running tasks in-process and publishes to `url`; restored after."""
    conf = celery_app.conf
    saved = {key: conf.changes.get(key, _MISSING) for key in ("broker_url", "task_always_eager")}
    saved_settings = (settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER)
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    conf.broker_url = url
    conf.task_always_eager = False
    reset_broker_pools()
    try:
        yield
    finally:
        settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = saved_settings
        for key, value in saved.items():
            if value is _MISSING:
                conf.changes.pop(key, None)
            else:
                conf.changes[key] = value
        reset_broker_pools()
        assert conf.task_always_eager == saved_settings[1] and conf.broker_url == saved_settings[0]


class Worker:
    """`celery -A config worker` as a real process (its own process group), on the test database."""

    def __init__(self, name: str, env: dict, logdir: Path, pool: str = "solo"):
        self.name = name
        self.env = env
        self.pool = pool
        self.log_path = logdir / f"worker-{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "Worker":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(CELERY), "-A", "config", "worker", "-Q", "urgent,default,bulk", "--pool", self.pool,
             "--concurrency", "1", "--loglevel", "INFO", "-n", f"{self.name}@%h",
             "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()

        def ready():
            assert self.proc.poll() is None, f"worker {self.name} exited:\n{self.log()}"
            return " ready." in self.log()

        wait_for(ready, timeout=timeout, interval=0.2, what=f"worker {self.name} to be ready")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def pool_children(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.proc.pid:
                    children.append(int(stat.parent.name))
        return children

    def kill_group(self) -> None:
        """SIGKILL the worker and every process of its group (no warm or cold shutdown)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            _stop_group(self.proc, signal.SIGTERM, timeout=15)


@pytest.fixture
def workers(tmp_path, request):
    """workers(name, env=..., pool=...) starts a real worker; all are stopped at teardown, and their
    logs are printed when the test failed."""
    started: list[Worker] = []

    def start(name: str, *, env: dict, pool: str = "solo") -> Worker:
        worker = Worker(name, env, tmp_path, pool=pool)
        started.append(worker)
        return worker.start()

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            for worker in started:
                print(f"----- log of worker {worker.name} -----\n{worker.log()[-6000:]}")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def worker_env(redis_url: str, **extra) -> dict:
    """The environment of a worker on the test database pytest-django created, and a private Redis."""
    db = connection.settings_dict
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "tests.reliability.worker_settings",
        "DATABASE_URL": f"postgres://{user}{password}@{host}:{port}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "NOTIFY_SMS_BACKEND": "null",
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
