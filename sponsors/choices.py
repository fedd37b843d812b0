from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    INDONESIAN = "id", _("Bahasa Indonesia")
    ENGLISH = "en", _("English")


class ReminderChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PUSH = "push", _("Push")


class Platform(models.TextChoices):
    ANDROID = "android", _("Android")
    IOS = "ios", _("iOS")


class OtpPurpose(models.TextChoices):
    PHONE_VERIFICATION = "phone_verification", _("Phone verification")
    WORKER_CONSENT = "worker_consent", _("Worker consent")
    LOGIN = "login", _("Login after repeated failures")
