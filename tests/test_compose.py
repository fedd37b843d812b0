"""The deployment files agree with each other and with the settings.

docker-compose.yml, the Dockerfile, the Makefile and the README all name settings, commands and the WSGI
module; these tests read them as text (no Docker, no database) so that a rename in one place fails here.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis")

# `env("NAME"`, `env.bool("NAME"`, `env.list("NAME"`, `env.db("NAME"` … and plain os.environ reads.
_SETTINGS_READ = re.compile(
    r"""(?:\benv(?:\.\w+)?\(|os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*["']([A-Z][A-Z0-9_]*)["']"""
)
# ${VAR}, ${VAR:-x}, ${VAR:?x} and $VAR, but not the escaped $${VAR} / $$VAR (expanded in the container).
_COMPOSE_VAR = re.compile(r"(?<!\$)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")


def settings_variables() -> set[str]:
    text = "\n".join(p.read_text() for p in sorted((ROOT / "config" / "settings").glob("*.py")))
    names = set(_SETTINGS_READ.findall(text))
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= names, "the settings reader found too little"
    return names


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def compose_variables(node) -> set[str]:
    return {a or b for text in _strings(node) for a, b in _COMPOSE_VAR.findall(text)}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def command_words(service: dict) -> list[str]:
    command = service.get("command")
    assert command, "service has no command"
    words = shlex.split(command) if isinstance(command, str) else list(command)
    # `sh -c "a && b"`: look inside the script too.
    if words[:2] == ["sh", "-c"] and len(words) == 3:
        words = shlex.split(words[2])
    return words


def command_text(service: dict) -> str:
    return " ".join(command_words(service))


def test_the_five_services_exist(services):
    assert set(APP_SERVICES + BACKING_SERVICES) <= set(services)


def test_web_migrates_then_serves_config_wsgi_with_gunicorn(services):
    text = command_text(services["web"])
    assert re.search(r"\bgunicorn\s+config\.wsgi(:application)?\b", text), text
    assert "manage.py migrate" in text
    assert text.index("manage.py migrate") < text.index("gunicorn"), "migrations must run first"
    assert "&&" in text, "gunicorn must not start when migrations fail"


def test_worker_runs_celery_worker(services):
    assert "celery -A config worker" in command_text(services["worker"])


def test_beat_runs_celery_beat_as_a_single_instance(services):
    beat = services["beat"]
    assert "celery -A config beat" in command_text(beat)
    assert int(beat.get("deploy", {}).get("replicas", 1)) <= 1
    assert "scale" not in beat


def test_only_beat_schedules(services):
    for name, service in services.items():
        if name != "beat" and "command" in service:
            assert "beat" not in command_words(service), f"{name} would be a second scheduler"
            assert "-B" not in command_words(service), f"{name} embeds a second scheduler"


def test_backing_services_use_the_expected_images_and_have_healthchecks(services):
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(services, name):
    depends_on = services[name]["depends_on"]
    assert isinstance(depends_on, dict), "the list form cannot wait for health"
    for backing in BACKING_SERVICES:
        assert depends_on[backing]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_share_one_image_and_production_settings(services, name):
    service = services[name]
    assert service["build"] in (".", {"context": "."})
    assert service["image"] == services["web"]["image"]
    env = service["environment"]
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert re.fullmatch(r"postgres://[^@]+@postgres:5432/\w+", env["DATABASE_URL"])
    assert env["REDIS_URL"] == "redis://redis:6379/0"


@pytest.mark.parametrize("name", APP_SERVICES)
@pytest.mark.parametrize(
    "secret",
    ["SECRET_KEY", "JWT_SIGNING_KEY", "NIK_ENCRYPTION_KEYS", "NIK_HASH_KEY", "CARD_SIGNING_KEY", "PUBLIC_BASE_URL",
     "ALLOWED_HOSTS"],
)
def test_secrets_come_from_the_environment_and_are_required(services, name, secret):
    value = services[name]["environment"][secret]
    assert re.fullmatch(rf"\$\{{{secret}:\?[^}}]+\}}", value), f"{secret} must be ${{{secret}:?message}}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_names_only_variables_the_settings_read(services, name):
    known = settings_variables() | {"DJANGO_SETTINGS_MODULE"}
    assert set(services[name]["environment"]) <= known


def test_every_compose_variable_given_to_the_app_is_read_by_the_settings(services):
    """A `${VAR}` the settings never read is a typo, or a setting that silently does nothing.

    The one exception is a value the app only receives inside another one: the PostgreSQL password in
    DATABASE_URL, which must then be the same variable the postgres service itself is given.
    """
    known = settings_variables()
    postgres_vars = compose_variables(services["postgres"])
    for name in APP_SERVICES:
        for var in compose_variables(services[name]):
            assert var in known or (
                var in postgres_vars and f"${{{var}" in services[name]["environment"]["DATABASE_URL"]
            ), f"{name} uses ${{{var}}}, which config/settings never reads"


def test_web_healthcheck_hits_healthz_without_curl(services):
    test = services["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    code = test[3]
    assert "/healthz" in code and "urllib" in code
    compile(code, "web-healthcheck", "exec")


def _makefile_wsgi_module() -> str:
    makefile = (ROOT / "Makefile").read_text()
    found = re.findall(r"\bgunicorn\b.*?\b(config\.wsgi)(?::application)?\b", makefile)
    if not found:  # the module may be named through a variable
        found = re.findall(r"^WSGI_APP\s*:?=\s*([\w.]+?)(?::application)?\s*$", makefile, re.M)
    assert found, "the Makefile does not serve with gunicorn"
    return found[0]


def test_makefile_run_and_compose_serve_the_same_wsgi_module(services):
    makefile = (ROOT / "Makefile").read_text()
    run_recipe = re.search(r"^run:.*?(?=^\S)", makefile, re.M | re.S).group(0)
    assert "GUNICORN" in run_recipe or "gunicorn" in run_recipe, "make run must serve with gunicorn"
    compose_module = re.search(r"gunicorn\s+([\w.]+?)(?::application)?(?:\s|$)", command_text(services["web"]))
    assert _makefile_wsgi_module() == compose_module.group(1) == "config.wsgi"
    from django.conf import settings

    assert settings.WSGI_APPLICATION == "config.wsgi.application"


def test_dockerfile_installs_requirements_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert re.search(r"^COPY requirements\.txt\b", dockerfile, re.M)
    assert re.search(r"^RUN pip install (?:.* )?-r requirements\.txt\b", dockerfile, re.M)
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^USER (?!root\b)\S+", dockerfile, re.M)
    assert re.search(r"^EXPOSE 8000\b", dockerfile, re.M)


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "db.sqlite3"} <= ignored


def test_readme_table_lists_every_variable_the_settings_read():
    """API.md: the README's table lists every variable."""
    readme = (ROOT / "README.md").read_text()
    rows = set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", readme, re.M))
    missing = settings_variables() - rows
    assert not missing, f"README.md's variable table lacks {sorted(missing)}"


def test_readme_starts_with_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```\w*\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


def test_ci_runs_make_test():
    script = ROOT / ".ci" / "run"
    lines = [line.strip() for line in script.read_text().splitlines()]
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines
    assert "make test" in lines
    assert script.stat().st_mode & 0o111, ".ci/run must be executable"


def test_make_test_refuses_unreachable_services():
    """`make test` fails loudly instead of running without PostgreSQL or Redis (or on SQLite)."""
    cases = {
        "DATABASE_URL=postgres://root@127.0.0.1:1/root": "PostgreSQL is not reachable",
        "REDIS_URL=redis://127.0.0.1:1/9": "Redis is not reachable",
        "DATABASE_URL=sqlite:///db.sqlite3": "must be a postgres:// URL",
    }
    for override, message in cases.items():
        result = subprocess.run(
            ["make", "--no-print-directory", "-o", "venv", "check-services", f"VENV_PY={sys.executable}", override],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0, override
        assert message in result.stderr, result.stderr


# --- gunicorn: one configuration file for every way the app is served ------------------------------

GUNICORN_CONFIG = "config/gunicorn.py"
# What config/gunicorn.py owns: a command line setting one of these would serve differently (an access
# log without the redaction, gunicorn's HTML error pages) in one place only.
_OWNED_OPTIONS = (
    "--access-logfile", "--access-logformat", "--logger-class", "-k", "--worker-class", "--limit-request-line",
    "--limit-request-fields", "--limit-request-field_size", "--log-config", "--log-config-dict",
    "--log-config-json", "--log-syslog", "--config", "-c",
)


def _gunicorn_words(words: list[str]) -> list[str]:
    assert "gunicorn" in words, words
    return words[words.index("gunicorn"):]


def _makefile_variables() -> dict[str, str]:
    makefile = (ROOT / "Makefile").read_text()
    return dict(re.findall(r"^(\w+)\s*:?=\s*(.*?)\s*$", makefile, re.M))


def _makefile_expand(line: str) -> str:
    """`line` with the Makefile's $(VAR) references expanded, as make does."""
    variables = _makefile_variables()
    for _ in range(3):
        line = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), line)
    return line


def _makefile_gunicorn_words() -> list[str]:
    words = shlex.split(_makefile_expand(_makefile_variables()["GUNICORN"]))
    words[0] = "gunicorn" if words[0].endswith("/gunicorn") else words[0]
    return words


def _dockerfile_gunicorn_words() -> list[str]:
    import json

    cmd = re.search(r"^CMD (\[.*\])\s*$", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    return json.loads(cmd)


def _served_commands(services) -> dict[str, list[str]]:
    return {
        "Makefile": _gunicorn_words(_makefile_gunicorn_words()),
        "Dockerfile": _gunicorn_words(_dockerfile_gunicorn_words()),
        "docker-compose.yml": _gunicorn_words(command_words(services["web"])),
    }


def test_every_gunicorn_command_serves_config_wsgi_with_the_one_config_file(services):
    for source, words in _served_commands(services).items():
        assert words[1] == "config.wsgi:application", (source, words)
        options = [w.split("=", 1)[0] for w in words if w.startswith("-")]
        assert options.count("-c") + options.count("--config") == 1, (source, words)
        flag = "-c" if "-c" in words else "--config"
        assert words[words.index(flag) + 1] == GUNICORN_CONFIG, (source, words)
        overridden = [o for o in options if o in _OWNED_OPTIONS and o not in ("-c", "--config")]
        assert not overridden, f"{source} overrides what {GUNICORN_CONFIG} owns: {overridden}"


def test_the_gunicorn_config_file_logs_through_the_redaction_and_answers_json():
    import runpy

    config = runpy.run_path(str(ROOT / GUNICORN_CONFIG))
    assert config["accesslog"] == "-"
    assert config["logger_class"] == "core.serving.Logger"
    assert config["worker_class"] == "core.serving.SyncWorker"
    assert config["limit_request_line"] <= 8190
    from gunicorn.util import load_class

    from core import serving

    assert load_class(config["logger_class"]) is serving.Logger
    assert load_class(config["worker_class"], section="gunicorn.workers") is serving.SyncWorker


def test_the_images_collectstatic_runs_with_its_placeholders_and_gathers_the_back_offices_assets(tmp_path):
    """The Dockerfile's build-time collectstatic, word for word with its placeholder environment:
    production settings load, and the theme's vendored Chart.js and fonts are collected (no CDN)."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    run = re.search(r"^RUN (SECRET_KEY=.*?collectstatic[^\n]*)", dockerfile, re.M | re.S).group(1)
    words = shlex.split(run.replace("\\\n", " "))
    env = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    command = [word for word in words if not re.match(r"^[A-Z_]+=", word)]
    assert command[:2] == ["python", "manage.py"]
    result = subprocess.run(
        [sys.executable, *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.production",
             "STATIC_ROOT": str(tmp_path), **env},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "unfold" / "js" / "chart" / "chart.js").exists()
    assert list((tmp_path / "unfold" / "fonts").rglob("*.woff2"))
    assert (tmp_path / "staticfiles.json").exists()  # whitenoise's manifest: hashed names for caching


# --- The production image: runtime requirements only, healthchecks, beat's schedule, the environment ---

TEST_ONLY = ("tests", "bench", "docs", "requirements-test.txt")


def _requirement_names(path: Path) -> dict[str, str]:
    """{normalised name: line} of a requirements file's requirements (`-r` includes left out)."""
    names = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names[re.split(r"[\[=<>!~ ]", line)[0].lower().replace("_", "-")] = line
    return names


def test_requirements_are_split_into_runtime_and_test_tools_all_pinned():
    runtime = _requirement_names(ROOT / "requirements.txt")
    tools = _requirement_names(ROOT / "requirements-test.txt")
    for name, line in {**runtime, **tools}.items():
        assert re.fullmatch(r"[\w.\-\[\],]+==[\w.]+", line), f"{line!r} is not pinned"
    assert not re.search(r"^\s*-", (ROOT / "requirements.txt").read_text(), re.M), "the runtime includes no other file"
    first = [line for line in (ROOT / "requirements-test.txt").read_text().splitlines() if not line.startswith("#")][0]
    assert first == "-r requirements.txt", "the test tools come on top of the runtime"
    # What production needs is in the runtime (push goes through FCM, WhatsApp and SMS over HTTP) ...
    assert {"django", "gunicorn", "celery", "firebase-admin", "requests", "whitenoise"} <= set(runtime)
    # ... and no test tool is.
    assert {"pytest", "pytest-django", "hypothesis", "schemathesis", "faker", "factory-boy",
            "openapi-python-client"} <= set(tools)
    assert not set(runtime) & set(tools), "a requirement is in both files"


def test_dockerfile_installs_only_the_runtime_requirements_and_has_a_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = re.sub(r"\\\n", " ", dockerfile)
    installs = re.findall(r"^RUN .*\bpip install\b(.*)$", instructions, re.M)
    assert [words.split() for words in installs] == [["-r", "requirements.txt"]], installs
    assert not re.search(r"^[A-Z]+ .*requirements-test", instructions, re.M)
    copies = re.findall(r"^COPY (.*)$", dockerfile, re.M)
    assert copies == ["requirements.txt .", ". ."], copies
    healthcheck = re.search(r"^HEALTHCHECK .*CMD (\[.*\])\s*$", instructions, re.M)
    assert healthcheck, "the image has no HEALTHCHECK"
    import json

    command = json.loads(healthcheck.group(1))
    assert command[:2] == ["python", "-c"] and "/healthz" in command[2]
    compile(command[2], "Dockerfile HEALTHCHECK", "exec")
    # The same check as compose's web service, so the two cannot drift apart.
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["healthcheck"]["test"]
    assert command == web[1:]


def _dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore's `patterns` leave `path` out of the build context (Docker's rules, for the
    forms this file uses: `dir/`, `name`, `*.ext`, `**/name`, `!exception`; the last match wins)."""
    import fnmatch

    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        candidates = {pattern, pattern[3:]} if pattern.startswith("**/") else {pattern}
        parts = path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if pattern.startswith("**/"):
            # any depth: match each path component's suffix
            prefixes += ["/".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)]
        if any(fnmatch.fnmatchcase(prefix, c) for prefix in prefixes for c in candidates):
            ignored = not negate
    return ignored


def test_dockerignore_leaves_tests_bench_and_docs_out_and_keeps_what_the_image_needs():
    patterns = [
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert tracked, "git ls-files listed nothing"
    for path in tracked:
        if path.split("/")[0] in TEST_ONLY or path in ("pytest.ini", "schemathesis.toml"):
            assert _dockerignored(path, patterns), f"{path} would be copied into the image"
    needed = [
        path for path in tracked
        if path in ("manage.py", "requirements.txt")
        or path.startswith(("config/", "core/", "sponsors/", "registration/", "contributions/", "notifications/",
                            "seeds/", "locale/"))
    ]
    assert "locale/id/LC_MESSAGES/django.mo" in needed and any("/templates/" in p for p in needed)
    left_out = [path for path in needed if _dockerignored(path, patterns)]
    assert not left_out, f"the image would lack {left_out}"
    assert _dockerignored(".env", patterns) and not _dockerignored(".env.example", patterns)
    assert _dockerignored("registration/__pycache__/models.cpython-311.pyc", patterns)


@pytest.mark.parametrize("name", APP_SERVICES + BACKING_SERVICES)
def test_every_service_has_a_healthcheck(services, name):
    healthcheck = services[name].get("healthcheck")
    assert healthcheck and healthcheck.get("test"), f"{name} has no healthcheck"
    assert not healthcheck.get("disable")
    assert healthcheck["test"][0] in ("CMD", "CMD-SHELL")


def test_worker_healthcheck_pings_this_worker_through_the_broker(services):
    worker = services["worker"]
    kind, script = worker["healthcheck"]["test"]
    assert kind == "CMD-SHELL", "the container's HOSTNAME is expanded by a shell"
    # `$$` is compose's escape: the shell in the container sees $HOSTNAME.
    words = shlex.split(script.replace("$$", "$"))
    assert words[:5] == ["celery", "-A", "config", "inspect", "ping"]
    destination = words[words.index("--destination") + 1] if "--destination" in words else words[words.index("-d") + 1]
    assert destination == "celery@$HOSTNAME"
    # ... which is the worker's node name only while its command leaves the default (celery@%h).
    assert not {"-n", "--hostname"} & set(command_words(worker))


def _beat_check_code(services) -> str:
    test = services["beat"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


def _dockerfile_workdir() -> str:
    return re.findall(r"^WORKDIR (\S+)", (ROOT / "Dockerfile").read_text(), re.M)[-1]


def test_beat_keeps_its_schedule_on_a_named_volume(compose, services):
    beat = services["beat"]
    words = command_words(beat)
    schedule = Path(words[words.index("--schedule") + 1])
    schedule = schedule if schedule.is_absolute() else Path(_dockerfile_workdir()) / schedule
    mounts = dict(volume.split(":", 1) for volume in beat.get("volumes", []))
    by_target = {target: source for source, target in mounts.items()}
    assert str(schedule.parent) in by_target, f"{schedule} is on no volume ({mounts})"
    assert by_target[str(schedule.parent)] in compose["volumes"], "the schedule's volume is not a named volume"
    # The image creates the directory for the unprivileged user, so a new volume starts owned by it.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"mkdir -p \S*{re.escape(str(schedule.parent))}\b", dockerfile)
    assert str(schedule.parent) in _beat_check_code(services), "the healthcheck reads another directory"


def test_beat_healthcheck_fails_once_the_schedule_file_is_stale(services, tmp_path):
    """Run the compose check itself, on a copy of the schedule directory under tmp_path."""
    import os
    import time

    code = _beat_check_code(services).replace(f"{_dockerfile_workdir()}/", f"{tmp_path}/")
    directory = tmp_path / "var" / "beat"
    directory.mkdir(parents=True)

    def check() -> int:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30).returncode

    assert check() != 0, "no schedule file yet (beat never ran) must fail"
    schedule = directory / "celerybeat-schedule"
    schedule.write_bytes(b"x")
    assert check() == 0, "a file beat just wrote must pass"
    stale = time.time() - 11 * 60
    os.utime(schedule, (stale, stale))
    assert check() != 0, "a file beat has not written for 11 minutes must fail"


def _makefile_recipe_words(target: str, program: str) -> list[str]:
    """The words of `target`'s recipe line that runs `program`, with the Makefile's variables expanded."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    for line in recipe.splitlines():
        words = shlex.split(_makefile_expand(line).strip().lstrip("@"))
        if words and words[0].rsplit("/", 1)[-1] == program:
            return [program, *words[1:]]
    raise AssertionError(f"make {target} does not run {program}")


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_worker_and_beat_run_the_makefiles_commands(services, name):
    assert command_words(services[name]) == _makefile_recipe_words(name, "celery")


def test_web_worker_and_beat_read_the_same_environment(services):
    web = services["web"]
    assert web["env_file"] == [{"path": ".env", "required": False}]
    for name in ("worker", "beat"):
        assert services[name]["env_file"] == web["env_file"]
        assert services[name]["environment"] == web["environment"]
        assert services[name].get("secrets") == web.get("secrets")


def _env_example() -> list[str]:
    return (ROOT / ".env.example").read_text().splitlines()


_ASSIGNMENT = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=")


def test_env_example_lists_every_setting_production_reads():
    text = "\n".join(p.read_text() for p in (ROOT / "config" / "settings").glob("*.py") if p.stem in ("base", "production"))
    read = set(_SETTINGS_READ.findall(text))
    assert {"FCM_CREDENTIALS_FILE", "WHATSAPP_TOKEN", "XENDIT_SECRET_KEY", "CARD_SIGNING_KEY"} <= read
    example = "\n".join(_env_example())
    missing = sorted(name for name in read if not re.search(rf"\b{name}\b", example))
    assert not missing, f".env.example does not mention {missing}"


def test_env_example_names_only_known_variables_each_explained(services, compose):
    known = settings_variables() | compose_variables(compose) | {"WEB_CONCURRENCY"}
    lines = _env_example()
    for index, line in enumerate(lines):
        match = _ASSIGNMENT.match(line)
        if not match:
            continue
        assert match.group(1) in known, f".env.example line {index + 1}: {match.group(1)} is read by nothing"
        above = index - 1
        while above >= 0 and _ASSIGNMENT.match(lines[above]):
            above -= 1
        assert above >= 0 and lines[above].startswith("#"), f".env.example line {index + 1}: no comment explains it"


def test_env_example_has_an_entry_for_every_variable_compose_requires(compose):
    required = {name for text in _strings(compose) for name in re.findall(r"\$\{(\w+):\?", text)}
    assert {"SECRET_KEY", "POSTGRES_PASSWORD", "FCM_SERVICE_ACCOUNT_JSON", "WHATSAPP_TOKEN"} <= required
    entries = {m.group(1) for line in _env_example() if (m := re.match(r"^([A-Z][A-Z0-9_]*)=", line))}
    assert required <= entries, f".env.example lacks an entry (uncommented) for {sorted(required - entries)}"


# --- The Makefile installs the test tools for `make test` only -----------------------------------------


def _make_dry_run(target: str, venv: Path) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, f"VENV={venv}", f"VENV_PY={venv}/bin/python"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_reinstalls_when_either_requirements_file_changes(tmp_path):
    import os
    import time

    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    runtime, tools = venv / ".installed", venv / ".installed-test"

    def stamps(runtime_age: float, tools_age: float) -> None:
        for stamp, age in ((runtime, runtime_age), (tools, tools_age)):
            stamp.write_text("")
            os.utime(stamp, (time.time() - age, time.time() - age))

    def installs(output: str) -> list[str]:
        return re.findall(r"pip install .*?-r (\S+)", output)

    old = time.time()  # older than any checkout of the repository: both files are newer
    stamps(runtime_age=0, tools_age=0)
    assert installs(_make_dry_run("test-venv", venv)) == []
    assert installs(_make_dry_run("venv", venv)) == []

    stamps(runtime_age=0, tools_age=old)  # requirements-test.txt changed since `make test` installed
    assert installs(_make_dry_run("test-venv", venv)) == ["requirements-test.txt"]
    assert installs(_make_dry_run("test", venv)) == ["requirements-test.txt"]
    assert installs(_make_dry_run("run", venv)) == []

    stamps(runtime_age=old, tools_age=0)  # requirements.txt changed: both reinstall for `make test`
    assert installs(_make_dry_run("test", venv)) == ["requirements.txt", "requirements-test.txt"]
    # ... and `make run` installs the runtime alone, never the test tools.
    assert installs(_make_dry_run("run", venv)) == ["requirements.txt"]
