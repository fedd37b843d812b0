"""One language at a time in the back office (issue 24): every app, model, field, choice and audit
action the admin shows has an Indonesian text (the default) and an English one (on request)."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import translation

from core.choices import AuditAction

OURS = {"core", "notifications", "sponsors", "registration", "contributions"}
# Names and codes that read the same in both languages.
SAME_IN_BOTH = {
    "Audit", "NIK", "KPJ", "SMS", "WhatsApp", "Midtrans", "Xendit", "Simulator", "Android", "iOS", "email",
    "token", "platform", "sponsor", "status", "Status", "gateway", "total", "Bahasa Indonesia", "JKK (%)",
    "JKM (Rp)", "JHT (%)", "Jaminan Kecelakaan Kerja", "Jaminan Kematian", "Jaminan Hari Tua", "ID",
}
# Fields Django's own catalog translates (AbstractBaseUser, PermissionsMixin).
DJANGO_OWN = {"password", "last_login", "is_superuser", "groups", "user_permissions", "id"}


def texts_shown_by_the_admin():
    for model in admin.site._registry:
        if model._meta.app_label not in OURS:
            continue
        opts = model._meta
        yield f"{opts.label} verbose_name", opts.verbose_name
        yield f"{opts.label} verbose_name_plural", opts.verbose_name_plural
        for field in opts.get_fields():
            if not hasattr(field, "verbose_name") or field.name in DJANGO_OWN:
                continue
            yield f"{opts.label}.{field.name}", field.verbose_name
            for value, label in getattr(field, "choices", None) or []:
                yield f"{opts.label}.{field.name}={value}", label
    for app in OURS:
        yield f"app {app}", apps.get_app_config(app).verbose_name
    for value, label in AuditAction.choices:
        yield f"audit action {value}", label


CASES = sorted(texts_shown_by_the_admin(), key=lambda case: case[0])


@pytest.mark.parametrize("where, text", CASES, ids=[where for where, _text in CASES])
def test_indonesian_by_default_and_english_on_request(where, text):
    with translation.override("en"):
        english = str(text)
    with translation.override("id"):
        indonesian = str(text)
    assert english and indonesian
    assert "_" not in english, f"{where}: {english!r} reads like a code"
    if english not in SAME_IN_BOTH:
        assert indonesian != english, f"{where}: {english!r} has no Indonesian text"
