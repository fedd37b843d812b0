from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from core.paginator import ExactSearchAdmin, LargeTableAdmin
from core.phones import normalize_phone_or_none
from notifications.choices import Channel
from notifications.models import InboxItem, Message
from registration.admin import mask_last4
from sponsors.models import User

# The channels whose `to` is a phone (E.164, as core.phones writes it); push goes to a device token.
PHONE_CHANNELS = [Channel.SMS, Channel.WHATSAPP]


class ReadOnlyAdmin(LargeTableAdmin, ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ExactSearchAdmin, ReadOnlyAdmin):
    """The outbox, for support answering "my SMS never came": found by the recipient's phone."""

    list_display = ["id", "channel", "kind", "recipient", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["channel", "kind", "status"]
    list_select_related = ["user"]
    ordering = ["-id"]
    exclude = ["to", "body"]  # staff need delivery state, not the codes and numbers inside
    readonly_fields = ["recipient"]
    search_fields = ["id"]  # shows the search box; search_q decides what a term matches
    search_help_text = _("The recipient's phone (any format: 0812…, +62812…, 62812…), or an exact message id.")

    @admin.display(description=_("recipient"))
    def recipient(self, obj):
        """The phone, masked as everywhere in the admin; for push, the account's phone (masked)."""
        if obj.channel in PHONE_CHANNELS:
            return mask_last4(obj.to)
        return mask_last4(obj.user.phone) if obj.user else "—"

    def search_q(self, term: str) -> Q:
        # The outbox holds every message ever sent: exact matches on indexes only.
        wanted = Q(pk__in=[])
        phone = normalize_phone_or_none(term)
        if phone:
            # notifications_msg_to_idx (phones only); push messages through their account.
            wanted |= Q(channel__in=PHONE_CHANNELS, to=phone)
            account = User.objects.filter(phone=phone).values_list("pk", flat=True).first()
            if account is not None:
                wanted |= Q(channel=Channel.PUSH, user_id=account)
        elif term.isdigit() and len(term) <= 18:
            wanted |= Q(pk=int(term))
        return wanted


@admin.register(InboxItem)
class InboxItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["user"]
