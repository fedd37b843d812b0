# One image for web (gunicorn), worker (celery worker) and beat (celery beat): docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. The runtime only: the test tools are in
# requirements-test.txt, which `make test` installs and the image never sees (.dockerignore).
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected at build time. Production settings refuse to load without their secrets,
# so this one command gets harmless placeholders (every one production asks for: tests/test_compose.py
# runs this very command); they are not kept in the image's environment, and
# collectstatic touches neither the database nor Redis.
RUN SECRET_KEY=build-time-only-secret-key-not-used-at-run-time-0123456789abcdef \
    JWT_SIGNING_KEY=build-time-only-jwt-key-not-used-at-run-time-0123456789abcdef \
    NIK_ENCRYPTION_KEYS=YnVpbGQtdGltZS1vbmx5LW5vdC1hLXJlYWwta2V5ISE= \
    NIK_HASH_KEY=build-time-only \
    CARD_SIGNING_KEY=build-time-only-card-signing-key-not-used-at-run-time \
    PUBLIC_BASE_URL=https://build.invalid \
    DATABASE_URL=postgres://build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    MIDTRANS_SERVER_KEY=build-time-only \
    SMS_GATEWAY_URL=https://build.invalid/sms \
    WHATSAPP_API_URL=https://build.invalid/whatsapp \
    WHATSAPP_TOKEN=build-time-only \
    FCM_CREDENTIALS_FILE=/dev/null \
    CIVIL_REGISTRY_URL=https://build.invalid/registry \
    CIVIL_REGISTRY_TOKEN=build-time-only \
    python manage.py collectstatic --noinput --verbosity 0

# Run as an unprivileged user. var/beat/ holds beat's schedule (a named volume in docker-compose.yml,
# which starts owned by app as this directory is); var/ also takes the `file` notification backend's output.
RUN useradd --create-home --uid 10001 --user-group app \
    && mkdir -p /app/var/beat \
    && chown -R app:app /app/var
USER app

EXPOSE 8000

# The web server's check (the default command): /healthz answers 200 while the process serves. The slim
# image has no curl; the Host header must be an allowed host, or Django answers 400. docker-compose.yml
# gives worker and beat checks of their own.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 \
    CMD ["python", "-c", "import os, urllib.request; host = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.'); host = 'localhost' if host in ('', '*') else host; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=3)"]

CMD ["gunicorn", "config.wsgi:application", "-c", "config/gunicorn.py", "--bind", "0.0.0.0:8000"]
