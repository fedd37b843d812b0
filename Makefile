# BPU Sertakan backend. `make run` to try it, `make test` to test it (README.md).
#
# Every default below is set with `?=`, so a variable from the environment (or `make VAR=value`) wins.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
VENV_PY ?= $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

PORT ?= 8000
WEB_CONCURRENCY ?= 2
PYTEST_ARGS ?=

# The one WSGI module and gunicorn configuration (the access log, its redaction, the limits and JSON
# answers to what gunicorn refuses), shared with docker-compose.yml and the Dockerfile
# (tests/test_compose.py checks).
WSGI_APP := config.wsgi:application
GUNICORN_CONFIG := config/gunicorn.py
GUNICORN := $(VENV)/bin/gunicorn $(WSGI_APP) -c $(GUNICORN_CONFIG) --bind 0.0.0.0:$(PORT) --workers $(WEB_CONCURRENCY)
CELERY := $(VENV)/bin/celery -A config
# Beat's schedule (the last run of each periodic task), in a directory of its own: docker-compose.yml
# keeps the same path on a named volume.
BEAT_SCHEDULE := var/beat/celerybeat-schedule

# --- Environments ---------------------------------------------------------------------------------

# Trying the app: SQLite unless DATABASE_URL is set, in-process tasks unless REDIS_URL is set
# (config/settings/base.py), and every message (OTP codes included) appended to a file you can read.
DEV_TARGETS := run web worker beat migrate seed schema shell reminders messages
$(DEV_TARGETS): export DJANGO_SETTINGS_MODULE ?= config.settings.local
$(DEV_TARGETS): export NOTIFY_SMS_BACKEND ?= file
$(DEV_TARGETS): export NOTIFY_FILE_PATH ?= $(CURDIR)/var/notifications.jsonl
# The card's QR code and verify_url name the address this server answers on.
$(DEV_TARGETS): export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

# The test suite and the benchmark: always PostgreSQL and Redis, as in production. Never SQLite.
SERVICE_TARGETS := test check-services bench
$(SERVICE_TARGETS): export DATABASE_URL ?= postgres://root@127.0.0.1:5432/root
$(SERVICE_TARGETS): export REDIS_URL ?= redis://127.0.0.1:6379/9
# pytest-django prefers DJANGO_SETTINGS_MODULE from the environment over pytest.ini: pin it.
test: export DJANGO_SETTINGS_MODULE := config.settings.test

# `check --deploy` with production settings and dummy (but valid) secrets. Real ones from the
# environment take precedence, so the same target checks a real deployment's configuration.
check-deploy: export DJANGO_SETTINGS_MODULE := config.settings.production
check-deploy: export SECRET_KEY ?= check-deploy-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz
check-deploy: export JWT_SIGNING_KEY ?= check-deploy-only-jwt-signing-key-0123456789abcdefghijklmnopq
check-deploy: export NIK_ENCRYPTION_KEYS ?= Y2hlY2stZGVwbG95LW9ubHktbm90LWEtcmVhbC1rZXk=
check-deploy: export NIK_HASH_KEY ?= check-deploy-only-nik-hash-key
check-deploy: export CARD_SIGNING_KEY ?= check-deploy-only-card-signing-key-0123456789
check-deploy: export PUBLIC_BASE_URL ?= https://api.example.id
check-deploy: export DATABASE_URL ?= postgres://root@127.0.0.1:5432/root
check-deploy: export REDIS_URL ?= redis://127.0.0.1:6379/0
check-deploy: export ALLOWED_HOSTS ?= api.example.id
check-deploy: export MIDTRANS_SERVER_KEY ?= Mid-server-check-deploy-only
check-deploy: export SMS_GATEWAY_URL ?= https://sms.example.id/send
check-deploy: export WHATSAPP_API_URL ?= https://graph.facebook.com/v21.0/check-deploy-only/messages
check-deploy: export WHATSAPP_TOKEN ?= check-deploy-only-whatsapp-token
check-deploy: export FCM_CREDENTIALS_FILE ?= /run/secrets/fcm_service_account
check-deploy: export CIVIL_REGISTRY_URL ?= https://registry.example.id/v1/nik-verifications
check-deploy: export CIVIL_REGISTRY_TOKEN ?= check-deploy-only-civil-registry-token

# --- Virtualenv -----------------------------------------------------------------------------------

.PHONY: venv
venv: $(STAMP)

$(VENV_PY):
	$(PYTHON) -m venv $(VENV)

PIP_INSTALL := $(VENV_PY) -m pip install --disable-pip-version-check --progress-bar off

# The runtime (requirements.txt: what `make run` and the Docker image need); reinstalled only when
# requirements.txt is newer than its stamp.
$(STAMP): requirements.txt | $(VENV_PY)
	$(PIP_INSTALL) -r requirements.txt
	touch $(STAMP)

# The runtime and the test tools (requirements-test.txt, which includes requirements.txt), for
# `make test`; reinstalled when either file is newer than its stamp.
.PHONY: test-venv
test-venv: $(TEST_STAMP)

$(TEST_STAMP): requirements-test.txt $(STAMP)
	$(PIP_INSTALL) -r requirements-test.txt
	touch $(TEST_STAMP)

# --- Trying the app -------------------------------------------------------------------------------

define BANNER

================================================================================
 BPU Sertakan backend
   API base URL   http://127.0.0.1:$(PORT)/api/v1/
   Swagger UI     http://127.0.0.1:$(PORT)/api/docs/
   ReDoc          http://127.0.0.1:$(PORT)/api/redoc/
   OpenAPI schema http://127.0.0.1:$(PORT)/api/schema/
   Admin          http://127.0.0.1:$(PORT)/admin/

 Demo logins (phone / password); the back-office ones also sign in to the admin:
   sponsor                  +6281100000001 / demo-sponsor-2026
   back-office reviewer     +6281100000002 / demo-reviewer-2026
   back-office admin        +6281100000003 / demo-admin-2026
   back-office finance      +6281100000005 / demo-finance-2026
   self-enrolled worker     +6281100000004 / demo-worker-2026

 Messages (OTP and consent codes included) are appended to:
   $(NOTIFY_FILE_PATH)
   read them with:  tail -f $(NOTIFY_FILE_PATH)

 Database: $(if $(DATABASE_URL),DATABASE_URL (set),SQLite db.sqlite3 (DATABASE_URL unset))
 Tasks:    $(if $(REDIS_URL),Celery worker and beat on REDIS_URL (started below),in-process (REDIS_URL unset))
 Settings: $(DJANGO_SETTINGS_MODULE)      Stop with Ctrl-C.
================================================================================

endef
export BANNER

.PHONY: run
run: venv
	@mkdir -p var "$(dir $(BEAT_SCHEDULE))" "$(dir $(NOTIFY_FILE_PATH))"
	$(VENV_PY) manage.py migrate --noinput
	$(VENV_PY) manage.py seed --demo
	@# The admin's and the API docs' CSS and JS, served by whitenoise from what collectstatic gathers.
	$(VENV_PY) manage.py collectstatic --noinput --verbosity 0
	@echo "$$BANNER"
	@set -euo pipefail; \
	pids=""; \
	trap 'if [ -n "$$pids" ]; then kill $$pids 2>/dev/null || true; wait $$pids 2>/dev/null || true; fi' EXIT; \
	trap 'exit 130' INT; \
	trap 'exit 143' TERM; \
	if [ -n "$${REDIS_URL:-}" ]; then \
		$(CELERY) worker --loglevel=INFO & pids="$$pids $$!"; \
		$(CELERY) beat --loglevel=INFO --schedule $(BEAT_SCHEDULE) & pids="$$pids $$!"; \
	fi; \
	$(GUNICORN)

.PHONY: web
web: venv
	$(GUNICORN)

.PHONY: worker
worker: venv require-redis
	$(CELERY) worker --loglevel=INFO

.PHONY: beat
beat: venv require-redis
	@mkdir -p "$(dir $(BEAT_SCHEDULE))"
	$(CELERY) beat --loglevel=INFO --schedule $(BEAT_SCHEDULE)

.PHONY: require-redis
require-redis:
	@if [ -z "$${REDIS_URL:-}" ]; then \
		echo "REDIS_URL is not set: without it tasks run in-process and there is nothing for a worker or beat to do." >&2; \
		echo "Try: REDIS_URL=redis://127.0.0.1:6379/0 make $(MAKECMDGOALS)" >&2; \
		exit 1; \
	fi

.PHONY: migrate
migrate: venv
	$(VENV_PY) manage.py migrate --noinput

.PHONY: seed
seed: venv
	$(VENV_PY) manage.py seed --demo

.PHONY: shell
shell: venv
	$(VENV_PY) manage.py shell

# The daily reminder pass for a date, with the same settings as `make run` (DATE=YYYY-MM-DD, default
# today in WIB). With REDIS_URL set, the running worker sends what it plans.
.PHONY: reminders
reminders: venv
	$(VENV_PY) manage.py send_reminders $(if $(DATE),--date $(DATE),)

# --- Checks ---------------------------------------------------------------------------------------

# Refuses to go on unless PostgreSQL and Redis answer at DATABASE_URL and REDIS_URL.
define CHECK_SERVICES_PY
import os, sys
import psycopg, redis
db, cache = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
problems = []
if not db.startswith(("postgres://", "postgresql://")):
    problems.append(f"DATABASE_URL must be a postgres:// URL (the tests never run on SQLite), not {db!r}")
else:
    try:
        psycopg.connect(db, connect_timeout=3).close()
    except psycopg.Error as exc:
        problems.append(f"PostgreSQL is not reachable at DATABASE_URL={db}: {str(exc).strip()}")
try:
    redis.Redis.from_url(cache, socket_connect_timeout=3, socket_timeout=3).ping()
except (redis.RedisError, ValueError) as exc:
    problems.append(f"Redis is not reachable at REDIS_URL={cache}: {exc}")
if problems:
    bar = "!" * 80
    print(bar, *("ERROR: " + p for p in problems), "The test suite needs both; start them, or point DATABASE_URL / REDIS_URL at them.", bar, sep="\n", file=sys.stderr)
    sys.exit(1)
print(f"PostgreSQL and Redis answer ({db}, {cache}).")
endef
export CHECK_SERVICES_PY

.PHONY: check-services
check-services: venv
	@$(VENV_PY) -c "$$CHECK_SERVICES_PY"

.PHONY: test
test: test-venv check-services
	$(VENV)/bin/pytest $(PYTEST_ARGS)

.PHONY: schema
schema: venv
	$(VENV_PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

# The translations the project adds to Django's, DRF's and simplejwt's (locale/, README "Translations").
# Their compiled .mo files are committed, so `make run`, `make test` and the image need no gettext; after
# editing a .po file, compile it with this (it needs GNU gettext's msgfmt) and commit both.
.PHONY: messages
messages: venv
	$(VENV_PY) manage.py compilemessages --ignore=.venv

.PHONY: check-deploy
check-deploy: venv
	$(VENV_PY) manage.py check --deploy --fail-level WARNING

# The benchmark (QUALITY.md "Performance"; how to read it: docs/benchmarks.md). It needs PostgreSQL and
# Redis on 127.0.0.1 and works in a database (bpu_bench) and Redis db (13) of its own, whatever
# DATABASE_URL / REDIS_URL say (BENCH_DATABASE_URL / BENCH_REDIS_URL move it). Minutes, not seconds:
# never part of `make test` nor CI. Options for bench/run.py: make bench BENCH_ARGS="--only plan".
.PHONY: bench
bench: venv
	$(VENV_PY) bench/run.py $(BENCH_ARGS)

# --- Housekeeping ---------------------------------------------------------------------------------

.PHONY: clean
clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .hypothesis staticfiles $(BEAT_SCHEDULE)*

# Also the virtualenv, the SQLite database and the notification file: back to a fresh clone.
.PHONY: distclean
distclean: clean
	rm -rf $(VENV) db.sqlite3 var

.PHONY: help
help:
	@echo "make run           set up .venv, migrate, seed demo data and serve on http://127.0.0.1:$(PORT)/"
	@echo "make test          the whole test suite against PostgreSQL and Redis, with the test tools of"
	@echo "                   requirements-test.txt (PYTEST_ARGS=... to pass options)"
	@echo "make web           only the gunicorn server (no migrate, no seed, no Celery)"
	@echo "make worker|beat   a Celery worker / the single Celery beat (needs REDIS_URL)"
	@echo "make migrate|seed  apply migrations / load reference and demo data"
	@echo "make schema        validate the OpenAPI schema (warnings fail)"
	@echo "make messages      compile the translations of locale/ (after editing a .po file; needs gettext)"
	@echo "make check-deploy  manage.py check --deploy with production settings"
	@echo "make bench         the benchmark (bench/run.py)"
	@echo "make clean         caches and collected static files (distclean: also .venv, db.sqlite3, var/)"
