"""What every part of the benchmark shares: its own database and Redis db, the environment it gives
to Django (in-process, the Celery worker and gunicorn), and how a figure is printed.

The benchmark never uses DATABASE_URL or REDIS_URL from the environment (the Makefile exports the
test database for `make test`): it works in BENCH_DATABASE_URL and BENCH_REDIS_URL only, so it can
never touch the development or test data.
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/bpu_bench")
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# Only loopback: the benchmark refuses anything else.
for _url in (BENCH_DATABASE_URL, BENCH_REDIS_URL):
    if "@127.0.0.1:" not in _url and "//127.0.0.1:" not in _url:
        raise SystemExit(f"bench: only loopback services are allowed, not {_url}")

CACHE_KEY_PREFIX = "bpu-bench"
BENCH_DIR = ROOT / "var" / "bench"
RESULTS_FILE = BENCH_DIR / "latest.json"


def bench_env() -> dict[str, str]:
    """The environment of every process the benchmark runs Django in (itself, celery, gunicorn)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "NOTIFY_", "CELERY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=BENCH_DATABASE_URL,
        REDIS_URL=BENCH_REDIS_URL,
        CACHE_KEY_PREFIX=CACHE_KEY_PREFIX,
        NOTIFY_SMS_BACKEND="null",
        NOTIFY_WHATSAPP_BACKEND="null",
        NOTIFY_PUSH_BACKEND="null",
        API_THROTTLING="false",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PAYMENT_GATEWAY="simulator",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.pop("PAYMENT_SIMULATOR_SERVER_KEY", None)  # the settings default: "simulator-server-key"
    return env


def setup_django() -> None:
    """Django in this process, on the benchmark's database and Redis db, with the same environment
    as the processes it starts (so, e.g., tokens and signatures made here are valid there)."""
    env = bench_env()
    os.environ.clear()
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(*args: str, quiet: bool = True) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=bench_env(),
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


# --- Figures ------------------------------------------------------------------------------------

_results: list[dict] = []


def figure(name: str, value, unit: str, note: str) -> None:
    """One line per figure: `name: value unit (note)`; the note carries the ratio vs the baseline."""
    if isinstance(value, float):
        shown = f"{value:,.3f}" if value < 10 else f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"
    else:
        shown = str(value)
    line = f"{name}: {shown}{(' ' + unit) if unit else ''} ({note})"
    print(line, flush=True)
    _results.append({"name": name, "value": value, "unit": unit, "note": note, "line": line})


def info(message: str) -> None:
    """Progress, on stderr, so stdout holds only the figures."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def save_results(extra: dict) -> Path:
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps({**extra, "figures": _results}, indent=2, default=str) + "\n")
    return RESULTS_FILE


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def median(values: list[float]) -> float:
    return statistics.median(values)


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"bench: gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(interval)


def log_file(name: str):
    """A log file of a process the benchmark starts, under var/bench/ (created on first use)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    return open(BENCH_DIR / name, "w")


class Subprocess:
    """A process the benchmark starts (gunicorn, the Celery worker): in its own process group, its
    output in var/bench/<log_name>, stopped by its own id: SIGTERM (a warm shutdown for both), then
    SIGKILL to its group after 30 s."""

    def __init__(self, args: list[str], *, log_name: str, env: dict[str, str] | None = None):
        self.log = log_file(log_name)
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env or bench_env(), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()
