from django.db import models


class Language(models.TextChoices):
    INDONESIAN = "id", "Bahasa Indonesia"
    ENGLISH = "en", "English"


class ReminderChannel(models.TextChoices):
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    PUSH = "push", "Push"


class Platform(models.TextChoices):
    ANDROID = "android", "Android"
    IOS = "ios", "iOS"


class OtpPurpose(models.TextChoices):
    PHONE_VERIFICATION = "phone_verification", "Phone verification"
    WORKER_CONSENT = "worker_consent", "Worker consent"
    LOGIN = "login", "Login after repeated failures"
