from datetime import datetime

from django.db.models import QuerySet

from notifications.models import InboxItem, Message


def inbox_for_user(*, user) -> QuerySet[InboxItem]:
    return InboxItem.objects.filter(user=user)


def message_times(*, to: str, kind: str, since: datetime, limit: int) -> list[datetime]:
    """When the newest `limit` messages of `kind` to `to` written after `since` were written, newest
    first (consent codes: served by notifications_msg_consent_idx)."""
    return list(
        Message.objects.filter(to=to, kind=kind, created_at__gt=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
