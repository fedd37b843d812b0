from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from core.phones import normalize_phone
from sponsors.choices import Language, OtpPurpose, Platform, ReminderChannel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra) -> "User":
        user = self.model(phone=normalize_phone(phone), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("phone_verified_at", timezone.now())
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account of the app: a sponsor (donatur), a worker paying for themselves, or back-office staff.

    The login is the E.164 mobile number, verified by an SMS code before the first token is issued.
    """

    phone = models.CharField(max_length=16, verbose_name=_("phone"))
    full_name = models.CharField(max_length=150, verbose_name=_("full name"))
    email = models.EmailField(blank=True, verbose_name=_("email"))
    phone_verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("phone verified at"))
    language = models.CharField(
        max_length=2, choices=Language.choices, default=Language.INDONESIAN, verbose_name=_("language")
    )
    # How payment reminders reach this payer (API: `reminder_channels`). Booleans, not a list, so the
    # daily reminder pass selects recipients with plain indexed SQL on any database.
    remind_by_sms = models.BooleanField(default=True, verbose_name=_("remind by SMS"))
    remind_by_whatsapp = models.BooleanField(default=False, verbose_name=_("remind by WhatsApp"))
    remind_by_push = models.BooleanField(default=True, verbose_name=_("remind by push"))
    # WhatsApp templates may only go to people who opted in (Meta policy); the time is the record.
    whatsapp_opt_in_at = models.DateTimeField(null=True, blank=True, verbose_name=_("WhatsApp opt-in at"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    is_staff = models.BooleanField(default=False, verbose_name=_("staff"))
    date_joined = models.DateTimeField(default=timezone.now, verbose_name=_("date joined"))
    # Wrong passwords given for this account in the window that began at `login_failures_since`
    # (an hour), and whether every login needs an SMS code from now on (sponsors.services.user_login).
    # No CHECK (adding one scans every account); database defaults, so the code before this one can
    # still insert accounts while both run during a deploy.
    login_failures = models.IntegerField(default=0, db_default=0, verbose_name=_("login failures"))
    login_failures_since = models.DateTimeField(null=True, blank=True, verbose_name=_("login failures since"))
    login_code_always = models.BooleanField(
        default=False, db_default=False, verbose_name=_("always ask for a login code")
    )

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [models.UniqueConstraint(fields=["phone"], name="%(app_label)s_%(class)s_phone_uniq")]

    def __str__(self) -> str:
        return self.full_name or self.phone

    @property
    def phone_verified(self) -> bool:
        return self.phone_verified_at is not None

    @property
    def reminder_channels(self) -> list[str]:
        flags = {
            ReminderChannel.SMS: self.remind_by_sms,
            ReminderChannel.WHATSAPP: self.remind_by_whatsapp,
            ReminderChannel.PUSH: self.remind_by_push,
        }
        return [channel.value for channel, on in flags.items() if on]

    @reminder_channels.setter
    def reminder_channels(self, channels) -> None:
        chosen = set(channels)
        self.remind_by_sms = ReminderChannel.SMS in chosen
        self.remind_by_whatsapp = ReminderChannel.WHATSAPP in chosen
        self.remind_by_push = ReminderChannel.PUSH in chosen

    def set_password(self, raw_password) -> None:
        super().set_password(raw_password)
        # A new password makes guesses at the old one worthless: the login no longer asks for a code.
        self.login_failures = 0
        self.login_failures_since = None
        self.login_code_always = False

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.phone


class Device(BaseModel):
    """A phone running the app, reachable by push through its FCM/APNs token."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices", verbose_name=_("user"))
    token = models.CharField(max_length=4096, verbose_name=_("token"))
    platform = models.CharField(max_length=10, choices=Platform.choices, verbose_name=_("platform"))

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        constraints = [
            models.UniqueConstraint(fields=["token"], name="%(app_label)s_%(class)s_unique_token"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} device of user {self.user_id}"


class OtpChallenge(BaseModel):
    """A one-time code sent by SMS: to verify an account's phone, or for a worker's consent.

    Only a keyed hash of the code is stored. A code lives OTP_TTL_SECONDS and allows OTP_MAX_ATTEMPTS
    wrong tries; issuing a new one supersedes the previous one for the same purpose and subject.
    """

    purpose = models.CharField(max_length=32, choices=OtpPurpose.choices, verbose_name=_("purpose"))
    # The account (phone verification) or enrollment (consent) the code is for.
    subject_id = models.BigIntegerField(verbose_name=_("subject ID"))
    code_hash = models.CharField(max_length=64, verbose_name=_("code hash"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    consumed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("consumed at"))
    superseded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("superseded at"))

    class Meta:
        verbose_name = _("otp challenge")
        verbose_name_plural = _("otp challenges")
        indexes = [
            models.Index(
                fields=["purpose", "subject_id"],
                condition=Q(consumed_at__isnull=True, superseded_at__isnull=True),
                name="sponsors_otp_live_idx",
            ),
            models.Index(fields=["expires_at"], name="sponsors_otp_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.subject_id}"
