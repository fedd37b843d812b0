"""Production settings pass `manage.py check --deploy` and refuse to start without their secrets.

Each case runs `manage.py check --deploy` in a fresh interpreter: settings are read once, at import, so
only a new process sees a different environment. No database or Redis connection is made.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

REQUIRED = [
    "SECRET_KEY",
    "JWT_SIGNING_KEY",
    "NIK_ENCRYPTION_KEYS",
    "NIK_HASH_KEY",
    "CARD_SIGNING_KEY",
    "PUBLIC_BASE_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "MIDTRANS_SERVER_KEY",
    "SMS_GATEWAY_URL",
    "WHATSAPP_API_URL",
    "WHATSAPP_TOKEN",
    "FCM_CREDENTIALS_FILE",
    "CIVIL_REGISTRY_URL",
    "CIVIL_REGISTRY_TOKEN",
]


def _settings_variables() -> set[str]:
    text = "\n".join(p.read_text() for p in (ROOT / "config" / "settings").glob("*.py"))
    return set(re.findall(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""", text))


def _base_env() -> dict[str, str]:
    """The inherited environment less anything the settings or Django would read from it."""
    drop = _settings_variables() | {"DATABASE_URL", "REDIS_URL"}
    return {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in drop}


def production_env(**overrides: str | None) -> dict[str, str]:
    env = _base_env()
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        JWT_SIGNING_KEY=secrets.token_urlsafe(50),
        NIK_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        NIK_HASH_KEY=secrets.token_urlsafe(32),
        CARD_SIGNING_KEY=secrets.token_urlsafe(32),
        PUBLIC_BASE_URL="https://api.example.id",
        DATABASE_URL="postgres://root@127.0.0.1:5432/root",
        REDIS_URL="redis://127.0.0.1:6379/9",
        ALLOWED_HOSTS="api.example.id",
        MIDTRANS_SERVER_KEY="Mid-server-test",  # production-shaped: no "SB-"
        SMS_GATEWAY_URL="https://sms.example.id/send",
        WHATSAPP_API_URL="https://graph.facebook.com/v21.0/106540352242922/messages",
        WHATSAPP_TOKEN="whatsapp-system-user-token",
        FCM_CREDENTIALS_FILE="/run/secrets/fcm_service_account",
        CIVIL_REGISTRY_URL="https://registry.example.id/v1/nik-verifications",
        CIVIL_REGISTRY_TOKEN="civil-registry-token",
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_every_secret_set():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_passes_with_two_encryption_keys_for_rotation():
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    result = check_deploy(production_env(NIK_ENCRYPTION_KEYS=keys))
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_passes_with_two_card_signing_keys_for_rotation():
    keys = f"{secrets.token_urlsafe(32)},{secrets.token_urlsafe(32)}"
    result = check_deploy(production_env(CARD_SIGNING_KEY=keys))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("keys", ["x" * 31, f"{secrets.token_urlsafe(32)},short"])
def test_refuses_a_short_card_signing_key(keys):
    result = check_deploy(production_env(CARD_SIGNING_KEY=keys))
    assert result.returncode != 0
    assert "CARD_SIGNING_KEY" in result.stderr


def test_refuses_a_plain_http_public_base_url():
    result = check_deploy(production_env(PUBLIC_BASE_URL="http://api.example.id"))
    assert result.returncode != 0
    assert "PUBLIC_BASE_URL" in result.stderr


@pytest.mark.parametrize("name", REQUIRED)
@pytest.mark.parametrize("how", ["unset", "empty"])
def test_refuses_to_start_without_a_secret(name, how):
    result = check_deploy(production_env(**{name: None if how == "unset" else ""}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_refuses_throttling_switched_off():
    result = check_deploy(production_env(API_THROTTLING="false"))
    assert result.returncode != 0
    assert "API_THROTTLING" in result.stderr


def test_refuses_a_jwt_signing_key_equal_to_the_secret_key():
    key = secrets.token_urlsafe(50)
    result = check_deploy(production_env(SECRET_KEY=key, JWT_SIGNING_KEY=key))
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY" in result.stderr


def test_refuses_a_short_secret_key():
    result = check_deploy(production_env(SECRET_KEY="x" * 49))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_refuses_an_encryption_key_that_is_not_a_fernet_key():
    result = check_deploy(production_env(NIK_ENCRYPTION_KEYS="not-a-fernet-key"))
    assert result.returncode != 0
    assert "NIK_ENCRYPTION_KEYS" in result.stderr


def test_refuses_midtrans_without_its_server_key():
    result = check_deploy(production_env(PAYMENT_GATEWAY="midtrans", MIDTRANS_SERVER_KEY=None))
    assert result.returncode != 0
    assert "MIDTRANS_SERVER_KEY" in result.stderr


def test_debug_stays_off_whatever_the_environment_says():
    env = production_env(DEBUG="true")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("gateway", ["simulator", ""])
def test_production_refuses_the_payment_simulator(gateway):
    result = check_deploy(production_env(PAYMENT_GATEWAY=gateway))
    assert result.returncode != 0
    assert "PAYMENT_GATEWAY" in result.stderr


@pytest.mark.parametrize("backend", ["console", "file", "null"])
def test_production_refuses_sms_backends_that_print_or_drop(backend):
    result = check_deploy(production_env(NOTIFY_SMS_BACKEND=backend))
    assert result.returncode != 0
    assert "SMS_GATEWAY_URL" in result.stderr


XENDIT_KEYS = {"XENDIT_SECRET_KEY": "xnd_production_test", "XENDIT_CALLBACK_TOKEN": "callback-token-test"}


def test_xendit_opens_payments_with_its_keys_and_no_midtrans_key():
    result = check_deploy(production_env(PAYMENT_GATEWAY="xendit", MIDTRANS_SERVER_KEY=None, **XENDIT_KEYS))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", list(XENDIT_KEYS))
def test_production_refuses_xendit_without_its_keys(name):
    result = check_deploy(production_env(PAYMENT_GATEWAY="xendit", **{**XENDIT_KEYS, name: ""}))
    assert result.returncode != 0
    assert name in result.stderr


def test_production_has_no_simulator_whatever_the_environment_says():
    env = production_env(PAYMENT_SIMULATOR_SERVER_KEY="someone-set-it")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from contributions.gateways import gateway_configured;"
         " print(gateway_configured('simulator'), gateway_configured('midtrans'), gateway_configured('xendit'))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "False"]


def test_refuses_an_unknown_default_payment_method():
    result = check_deploy(production_env(DEFAULT_PAYMENT_METHOD="bitcoin"))
    assert result.returncode != 0
    assert "DEFAULT_PAYMENT_METHOD" in result.stderr
@pytest.mark.parametrize("review_mode", [None, "flagged"])
def test_production_refuses_the_local_civil_registry_unless_every_enrollment_is_reviewed(review_mode):
    """`local` answers "match" for any NIK it does not know: enrollments would be approved unchecked."""
    result = check_deploy(production_env(CIVIL_REGISTRY_BACKEND="local", REVIEW_MODE=review_mode))
    assert result.returncode != 0
    assert "CIVIL_REGISTRY_BACKEND" in result.stderr and "REVIEW_MODE" in result.stderr


def test_production_takes_the_local_civil_registry_when_every_enrollment_is_reviewed():
    env = production_env(CIVIL_REGISTRY_BACKEND="local", REVIEW_MODE="all", CIVIL_REGISTRY_URL=None,
                         CIVIL_REGISTRY_TOKEN=None)
    result = check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_uses_the_http_civil_registry_by_default():
    env = production_env()
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                               "print(settings.CIVIL_REGISTRY_BACKEND)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http"


def test_production_refuses_an_unknown_civil_registry_backend():
    result = check_deploy(production_env(CIVIL_REGISTRY_BACKEND="dukcapil"))
    assert result.returncode != 0
    assert "CIVIL_REGISTRY_BACKEND" in result.stderr


@pytest.mark.parametrize("backend, push", [("console", "fcm"), ("null", "fcm"), ("http", "null"), ("http", "file")])
def test_production_refuses_whatsapp_and_push_backends_that_print_or_drop(backend, push):
    result = check_deploy(production_env(NOTIFY_WHATSAPP_BACKEND=backend, NOTIFY_PUSH_BACKEND=push))
    assert result.returncode != 0
    assert "NOTIFY_WHATSAPP_BACKEND" in result.stderr


MIDTRANS_SANDBOX, MIDTRANS_PRODUCTION = "https://api.sandbox.midtrans.com", "https://api.midtrans.com"


def midtrans_base_url(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.MIDTRANS_BASE_URL)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("key, url", [("Mid-server-live", MIDTRANS_PRODUCTION), ("SB-Mid-server-test", MIDTRANS_SANDBOX)])
def test_production_takes_the_midtrans_address_of_its_key(key, url):
    result = midtrans_base_url(production_env(MIDTRANS_SERVER_KEY=key, MIDTRANS_BASE_URL=None))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == url


@pytest.mark.parametrize("key, url", [
    ("Mid-server-live", MIDTRANS_SANDBOX),  # the old default: real keys sent to the sandbox
    ("SB-Mid-server-test", MIDTRANS_PRODUCTION),  # a sandbox key passing for real payments
    ("Mid-server-live", "https://midtrans.example.id"),
])
def test_production_refuses_a_midtrans_address_that_is_not_its_keys(key, url):
    result = check_deploy(production_env(MIDTRANS_SERVER_KEY=key, MIDTRANS_BASE_URL=url))
    assert result.returncode != 0
    assert "MIDTRANS_BASE_URL" in result.stderr and "SB-" in result.stderr


def test_production_takes_a_midtrans_address_that_matches_its_key():
    result = check_deploy(production_env(MIDTRANS_SERVER_KEY="Mid-server-live", MIDTRANS_BASE_URL=MIDTRANS_PRODUCTION + "/"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_check_deploy_uses_a_production_midtrans_key():
    makefile = (ROOT / "Makefile").read_text()
    key = next(line.split("?=")[1].strip() for line in makefile.splitlines() if "export MIDTRANS_SERVER_KEY" in line)
    assert not key.startswith("SB-")
