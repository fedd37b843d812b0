"""The Celery configuration the reliability guarantees rest on (QUALITY.md "Background work";
CONVENTIONS.md "Celery"; API.md "Operations"): late acks, prefetch 1, requeue on a lost worker, time
limits, JSON only, no result backend, a visibility timeout longer than any task or countdown, three
queues, the beat schedule, and no long countdown or eta anywhere in the code."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from celery.schedules import crontab
from django.conf import settings

from config.celery_app import app

ROOT = Path(__file__).resolve().parents[2]
MAX_COUNTDOWN = 300  # "a few minutes" (QUALITY.md Background work 4)
PROJECT_TASK_MODULES = ("contributions.tasks", "notifications.tasks", "sponsors.tasks")


@pytest.fixture(scope="module")
def conf():
    app.loader.import_default_modules()
    return app.conf


def test_a_task_is_acknowledged_after_it_ran_and_requeued_if_its_worker_dies(conf):
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_every_project_task_acks_late(conf):
    import importlib

    tasks = []
    for module in PROJECT_TASK_MODULES:
        importlib.import_module(module)
        tasks += [task for name, task in app.tasks.items() if name.startswith(module + ".")]
    assert len(tasks) >= 7
    for task in tasks:
        assert task.acks_late is True, task.name
        # Celery asks the task, then the app: neither may turn requeue-on-loss off.
        assert getattr(task, "reject_on_worker_lost", None) in (None, True), task.name


def test_time_limits_are_set_and_soft_comes_first(conf):
    assert conf.task_soft_time_limit and conf.task_time_limit
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit <= 600


def test_json_only_and_no_results_in_redis(conf):
    assert list(conf.accept_content) == ["json"]
    assert conf.task_serializer == "json"
    assert conf.task_ignore_result is True
    assert conf.result_backend in (None, "", "disabled://")
    for name in PROJECT_TASK_MODULES:
        for task_name, task in app.tasks.items():
            if task_name.startswith(name + "."):
                assert task.ignore_result in (None, True), task_name


def test_the_visibility_timeout_outlasts_any_task_and_any_countdown(conf):
    options = conf.broker_transport_options
    assert options["visibility_timeout"] >= conf.task_time_limit
    assert options["visibility_timeout"] > MAX_COUNTDOWN + conf.task_time_limit


def test_broker_socket_timeouts_are_bounded(conf):
    options = conf.broker_transport_options
    assert 0 < options["socket_timeout"] <= 10
    assert 0 < options["socket_connect_timeout"] <= 10
    assert conf.broker_connection_timeout is not None and 0 < conf.broker_connection_timeout <= 10


def test_three_queues_with_distinct_routing_keys_and_a_worker_without_options_consumes_them_all(conf):
    queues = {queue.name: queue for queue in conf.task_queues}
    assert set(queues) == {"urgent", "default", "bulk"}
    keys = [queue.routing_key for queue in queues.values()]
    assert len(set(keys)) == 3
    assert conf.task_default_queue in queues
    # `celery -A config worker` without -Q consumes every queue the app declares.
    assert set(app.amqp.queues) >= {"urgent", "default", "bulk"}
    assert app.amqp.router.route({}, "contributions.tasks.send_reminder_batch")["queue"].name == "bulk"
    assert app.amqp.router.route({}, "notifications.tasks.send_message")["queue"].name == "urgent"


def test_the_beat_schedule(conf):
    schedule = conf.beat_schedule
    by_task = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    daily = by_task["contributions.tasks.daily_reminder_pass"]
    assert isinstance(daily, crontab)
    assert daily.hour == {8} and daily.minute == {0}
    assert daily.day_of_week == set(range(7)) and daily.day_of_month == set(range(1, 32))
    assert settings.CELERY_TIMEZONE == "Asia/Jakarta"
    assert str(conf.timezone) == "Asia/Jakarta"
    for task in ("contributions.tasks.queue_reminders", "contributions.tasks.reconcile_invoices",
                 "notifications.tasks.relay_outbox", "sponsors.tasks.cleanup_expired_otps"):
        assert task in by_task, task
    # Every scheduled task exists, so beat never schedules a name no worker knows.
    for task in by_task:
        assert task in app.tasks, task
    # The sweeps that make a lost message harmless run every few minutes at most.
    for task in ("contributions.tasks.queue_reminders", "notifications.tasks.relay_outbox"):
        every = by_task[task]
        seconds = every if isinstance(every, (int, float)) else every.run_every.total_seconds()
        assert seconds <= 300, task


# --- no long countdown or eta ---------------------------------------------------------------------


def _project_sources() -> list[Path]:
    skip = {".venv", "tests", "node_modules", ".git", "migrations", "bench"}
    return [
        path for path in ROOT.rglob("*.py")
        if not any(part in skip or part.startswith(".") for part in path.relative_to(ROOT).parts[:-1])
    ]


def _seconds(node: ast.AST, constants: dict[str, float]) -> float | None:
    """The value in seconds of a countdown/eta-like expression we can read statically, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.BinOp):
        left, right = _seconds(node.left, constants), _seconds(node.right, constants)
        if left is not None and right is not None:
            ops = {ast.Add: lambda a, b: a + b, ast.Mult: lambda a, b: a * b, ast.Sub: lambda a, b: a - b}
            if type(node.op) in ops:
                return ops[type(node.op)](left, right)
    if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "timedelta":
        parts = {kw.arg: _seconds(kw.value, constants) for kw in node.keywords}
        if node.args:
            parts["days"] = _seconds(node.args[0], constants)
        if all(v is not None for v in parts.values()):
            return timedelta(**parts).total_seconds()
    return None


def _module_constants(tree: ast.Module) -> dict[str, float]:
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _seconds(node.value, constants)
            if value is not None:
                constants[node.targets[0].id] = value
    return constants


def test_the_source_scan_sees_the_project(conf):
    sources = {str(p.relative_to(ROOT)) for p in _project_sources()}
    assert {"contributions/tasks.py", "notifications/services.py", "contributions/reminders.py"} <= sources


def test_no_task_is_ever_delayed_by_more_than_a_few_minutes():
    problems = []
    for path in _project_sources():
        text = path.read_text()
        if "countdown" not in text and "eta" not in text and "retry_backoff_max" not in text:
            continue
        tree = ast.parse(text)
        constants = _module_constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if keyword.arg in ("countdown", "retry_backoff_max", "default_retry_delay"):
                    seconds = _seconds(keyword.value, constants)
                    if seconds is None or seconds > MAX_COUNTDOWN:
                        problems.append(f"{where} {keyword.arg}={ast.unparse(keyword.value)}")
                elif keyword.arg == "eta":
                    problems.append(f"{where} eta={ast.unparse(keyword.value)} (use rows + a sweep, not eta)")
    assert problems == []


def test_registered_tasks_retry_within_a_few_minutes(conf):
    for name, task in app.tasks.items():
        if not name.startswith(PROJECT_TASK_MODULES):
            continue
        assert (task.default_retry_delay or 0) <= MAX_COUNTDOWN, name
        if getattr(task, "autoretry_for", ()):
            assert task.retry_backoff_max <= MAX_COUNTDOWN, name
            assert task.max_retries is not None and task.max_retries <= 10, name


def test_the_scan_catches_a_long_countdown(tmp_path, monkeypatch):
    """The scanner itself: a countdown of an hour, or one it cannot read, is reported."""
    source = (
        "HOUR = 3600\n"
        "def f(t):\n"
        "    t.apply_async(args=[1], countdown=HOUR)\n"
        "    t.apply_async(args=[1], countdown=60)\n"
        "    t.retry(countdown=compute())\n"
        "    t.apply_async(args=[1], eta=now() + timedelta(minutes=1))\n"
    )
    tree = ast.parse(source)
    constants = _module_constants(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "countdown":
                    found.append(_seconds(keyword.value, constants))
    assert found == [3600.0, 60.0, None]
    assert _seconds(ast.parse("timedelta(minutes=5)").body[0].value, {}) == 300
