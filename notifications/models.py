from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from notifications.choices import Channel, Kind, MessageStatus


class Message(BaseModel):
    """An outgoing SMS, WhatsApp or push message: the outbox.

    The row is written in the same transaction as the change that causes it, and sent by a task after
    commit. If the broker is down the row waits, and the relay on beat sends it later: a Redis outage
    never fails a request nor loses a message.
    """

    channel = models.CharField(max_length=10, choices=Channel.choices, verbose_name=_("channel"))
    kind = models.CharField(max_length=32, choices=Kind.choices, verbose_name=_("kind"))
    # E.164 phone for SMS and WhatsApp, device token for push.
    to = models.CharField(max_length=4096, verbose_name=_("recipient"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("user")
    )
    title = models.CharField(max_length=200, blank=True, verbose_name=_("title"))
    body = models.TextField(verbose_name=_("body"))
    template = models.CharField(max_length=64, blank=True, verbose_name=_("template"))
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    # Not sent before this time (quiet hours for SMS and WhatsApp); null means now.
    not_before = models.DateTimeField(null=True, blank=True, verbose_name=_("not before"))
    provider_message_id = models.CharField(max_length=128, blank=True, verbose_name=_("provider message ID"))
    last_error = models.CharField(max_length=255, blank=True, verbose_name=_("last error"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notifications_msg_unsent_idx",
            ),
            # Support finds the messages a phone received (the admin's search), newest first. Phones
            # only: a push message's `to` is a device token (up to 4 kB, too long for a B-tree entry).
            models.Index(
                fields=["to", "-id"], condition=Q(channel__in=["sms", "whatsapp"]), name="notifications_msg_to_idx"
            ),
            # Consent codes a phone received in the last 24 h (registration.limits).
            models.Index(
                fields=["to", "-created_at"],
                condition=Q(kind="otp_consent"),
                name="notifications_msg_consent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_channel_display()} #{self.pk} ({self.get_status_display()})"


class InboxItem(models.Model):
    """A message in the app's inbox (`GET /notifications`)."""

    # Served by notifications_inbox_user_idx (user, -id).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox", db_index=False, verbose_name=_("user")
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, verbose_name=_("kind"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    body = models.TextField(verbose_name=_("body"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

    class Meta:
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        indexes = [models.Index(fields=["user", "-id"], name="notifications_inbox_user_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
