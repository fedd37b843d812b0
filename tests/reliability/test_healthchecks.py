"""docker-compose.yml's worker and beat healthchecks, run as written against a real worker and a real beat
started with compose's own commands (no Docker here: the processes run on this machine, on a private
Redis).

- worker: `celery inspect ping` addressed to the worker's default node name answers while the worker
  runs, and fails once it is gone.
- beat: the schedule file beat writes at the path compose gives it is the one the check reads (its name
  depends on the dbm module, hence the check's glob), and the check passes on it.
"""

import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.reliability.conftest import ROOT, _stop_group, wait_for, worker_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

VENV_BIN = ROOT / ".venv" / "bin"


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _command(service: dict) -> list[str]:
    words = shlex.split(service["command"])
    assert words[0] == "celery"
    return [str(VENV_BIN / "celery"), *words[1:]]


def _start(command: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _healthcheck(test: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    """Run a compose healthcheck `test` as Docker does ($$ is compose's escape for $)."""
    kind, *rest = test
    env = {**env, "PATH": f"{VENV_BIN}:{env['PATH']}", "HOSTNAME": socket.gethostname()}
    if kind == "CMD-SHELL":
        command = ["sh", "-c", rest[0].replace("$$", "$")]
    else:
        assert kind == "CMD"
        command = [c.replace("$$", "$") for c in rest]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_worker_healthcheck_answers_while_the_worker_runs_and_fails_once_it_stops(services, private_redis, tmp_path):
    env = worker_env(private_redis.url)
    log = tmp_path / "worker.log"
    worker = _start(_command(services["worker"]), env, ROOT, log)
    try:
        wait_for(lambda: " ready." in log.read_text(errors="replace"), timeout=60, interval=0.2, what="the worker")
        up = _healthcheck(services["worker"]["healthcheck"]["test"], env, ROOT)
        assert up.returncode == 0, f"{up.stdout}\n{up.stderr}\n{log.read_text()[-4000:]}"
        assert f"celery@{socket.gethostname()}: OK" in up.stdout
    finally:
        _stop_group(worker, signal.SIGTERM, timeout=20)
    down = _healthcheck(services["worker"]["healthcheck"]["test"], env, ROOT)
    assert down.returncode != 0, down.stdout


def test_beat_healthcheck_reads_the_schedule_file_beat_writes(services, private_redis, tmp_path):
    # The container's /app is this test's folder: compose's relative --schedule lands under it, and the
    # check's absolute paths are moved into it.
    app = tmp_path / "app"
    (app / "var" / "beat").mkdir(parents=True)
    env = worker_env(private_redis.url)
    log = tmp_path / "beat.log"
    test = [part.replace("/app/", f"{app}/") for part in services["beat"]["healthcheck"]["test"]]
    assert _healthcheck(test, env, app).returncode != 0, "beat has not run yet: the check must fail"
    beat = _start(_command(services["beat"]), env, app, log)
    try:
        wait_for(lambda: any((app / "var" / "beat").glob("celerybeat-schedule*")), timeout=60, interval=0.2,
                 what=f"beat's schedule file:\n{log.read_text(errors='replace')}")
        time.sleep(1)  # beat has written its first schedule; let it finish
        assert beat.poll() is None, log.read_text()
        result = _healthcheck(test, env, app)
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{log.read_text()[-4000:]}"
    finally:
        _stop_group(beat, signal.SIGTERM, timeout=20)
