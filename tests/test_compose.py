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


def _makefile_gunicorn_words() -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    variables = dict(re.findall(r"^(\w+)\s*:?=\s*(.*?)\s*$", makefile, re.M))
    line = variables["GUNICORN"]
    for _ in range(3):  # $(VAR) references, as make expands them
        line = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), line)
    words = shlex.split(line)
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
