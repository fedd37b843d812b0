from django.db.models import QuerySet

from notifications.models import InboxItem


def inbox_for_user(*, user) -> QuerySet[InboxItem]:
    return InboxItem.objects.filter(user=user)
