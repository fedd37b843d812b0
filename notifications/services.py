"""Writing messages (outbox and inbox) and sending them.

A message is a row first: callers create it inside their own transaction, and it is handed to Celery
only after commit. If the broker cannot be reached the row stays `pending` and the relay sends it once
Redis is back, so neither the request nor the message is lost.
"""

import logging
import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.queue import publish
from notifications.backends import OutgoingMessage, PermanentSendError, TransientSendError, get_backend
from notifications.choices import Channel, MessageStatus
from notifications.models import InboxItem, Message
from notifications.templates import CODE_KINDS, date_label, month_label, render, rupiah

__all__ = ["date_label", "month_label", "rupiah"]  # text helpers other apps use in their messages

logger = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 5
URGENT_QUEUE = "urgent"
DEFAULT_QUEUE = "default"

# A one-time code is the only 6-digit number of its text (API.md). Once its message is sent or has
# failed for good, the outbox keeps `******` in its place: the code is of no use to anyone reading the
# table or a backup later. The provider (and the `file` and `console` backends) got the real text.
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
MASKED_CODE = "******"


def _enqueue(message_id: int, queue: str) -> None:
    from notifications.tasks import send_message

    # If the broker is down the row is the source of truth: the outbox relay sends it later.
    publish(send_message, args=[message_id], queue=queue)


# Inside `collected()`: the rows written so far, (row, queue) for messages.
_collecting: ContextVar[list | None] = ContextVar("notifications_collecting", default=None)


@contextmanager
def collected():
    """Inside this block, inbox items and outgoing messages are written when it ends, one INSERT for
    each kind, and the messages are sent after the commit as ever: for work that tells many people
    at once (a batch of payments credited). Rows are not saved (no id) until the block ends."""
    rows: list = []
    token = _collecting.set(rows)
    try:
        yield
    finally:
        _collecting.reset(token)
    InboxItem.objects.bulk_create([row for row in rows if isinstance(row, InboxItem)])
    messages = [row for row in rows if isinstance(row, tuple)]
    Message.objects.bulk_create([message for message, _ in messages])
    for queue in {queue for _, queue in messages}:
        ids = [message.pk for message, on in messages if on == queue]
        # One task for the lot: a publish costs more than a null send (docs/benchmarks.md).
        transaction.on_commit(partial(_enqueue_batch, ids, queue))


def _enqueue_batch(message_ids: list[int], queue: str) -> None:
    from notifications.tasks import send_message_batch

    publish(send_message_batch, args=[message_ids], queue=queue)


def messages_send(*, message_ids: list[int]) -> int:
    """Send messages one after the other (message_send); one that fails for now stays `pending` for
    the outbox relay, which hands it on again (its attempts are counted). Returns how many were sent."""
    sent = 0
    for message_id in message_ids:
        try:
            message = message_send(message_id=message_id)
        except TransientSendError:
            continue
        sent += message is not None and message.status == MessageStatus.SENT
    return sent


def message_queue(
    *, channel: str, kind: str, to: str, body: str, title: str = "", user=None, urgent: bool = False
) -> Message:
    """Write an outgoing message and send it after the surrounding transaction commits."""
    message = Message(channel=channel, kind=kind, to=to, title=title, body=body, template=kind, user=user)
    queue = URGENT_QUEUE if urgent else DEFAULT_QUEUE
    collecting = _collecting.get()
    if collecting is not None:
        collecting.append((message, queue))
        return message
    message.save(force_insert=True)
    transaction.on_commit(partial(_enqueue, message.pk, queue))
    return message


def sms_send(*, to: str, kind: str, language: str, user=None, urgent: bool = False, **params) -> Message:
    rendered = render(kind, language, **params)
    return message_queue(
        channel=Channel.SMS, kind=kind, to=to, body=rendered.body, title=rendered.title, user=user, urgent=urgent
    )


def inbox_add(*, user, kind: str, title: str, body: str) -> InboxItem:
    item = InboxItem(user=user, kind=kind, title=title, body=body)
    collecting = _collecting.get()
    if collecting is not None:
        collecting.append(item)
    else:
        item.save(force_insert=True)
    return item


def user_notify(
    *, user, kind: str, sms: bool = True, inbox: bool = True, inbox_kind: str | None = None, **params
) -> None:
    """Tell an account holder something: in their inbox (as `inbox_kind`, default the template's
    kind) and by SMS, in their language."""
    rendered = render(kind, user.language, **params)
    if inbox:
        inbox_add(user=user, kind=inbox_kind or kind, title=rendered.title, body=rendered.body)
    if sms:
        message_queue(
            channel=Channel.SMS, kind=kind, to=user.phone, body=rendered.body, title=rendered.title, user=user
        )


def inbox_mark_read(*, item: InboxItem) -> InboxItem:
    if item.read_at is None:
        InboxItem.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=timezone.now())
        item.refresh_from_db(fields=["read_at"])
    return item


def message_send(*, message_id: int) -> Message | None:
    """Send one message through its channel's backend, at most once per claim.

    The `sending` state is committed before the provider is called; a transient failure puts the
    message back to `pending` (and raises, for the task to retry); a permanent one fails it.
    """
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, status=MessageStatus.PENDING)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .update(status=MessageStatus.SENDING, attempts=F("attempts") + 1, updated_at=now)
    )
    if not claimed:
        return None
    message = Message.objects.get(pk=message_id)
    outgoing = OutgoingMessage(
        id=message.pk,
        channel=message.channel,
        kind=message.kind,
        to=message.to,
        body=message.body,
        title=message.title,
        source="message",
    )
    try:
        provider_id = get_backend(message.channel).send(outgoing)
    except TransientSendError as exc:
        final = message.attempts >= MAX_SEND_ATTEMPTS
        _finish(message, MessageStatus.FAILED if final else MessageStatus.PENDING, error=str(exc)[:255])
        if not final:
            raise
        return message
    except PermanentSendError as exc:
        _finish(message, MessageStatus.FAILED, error=str(exc)[:255])
        return message
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:  # noqa: BLE001 - a provider's surprise is retried like a transient error
        logger.exception("message %s: unexpected error from the %s provider", message.pk, message.channel)
        final = message.attempts >= MAX_SEND_ATTEMPTS
        _finish(message, MessageStatus.FAILED if final else MessageStatus.PENDING,
                error=f"unexpected {type(exc).__name__}")
        if not final:
            raise TransientSendError(f"unexpected {type(exc).__name__}") from exc
        return message
    _finish(message, MessageStatus.SENT, provider_id=provider_id)
    return message


def _masked(message: Message) -> dict:
    """The field to write with a final status: the body without its code, for a message that has one."""
    return {"body": _CODE.sub(MASKED_CODE, message.body)} if message.kind in CODE_KINDS else {}


def _finish(message: Message, status: str, *, provider_id: str = "", error: str = "") -> None:
    now = timezone.now()
    fields = {"status": status, "updated_at": now, "last_error": error}
    if status == MessageStatus.SENT:
        fields.update(provider_message_id=provider_id, sent_at=now)
    if status in (MessageStatus.SENT, MessageStatus.FAILED):
        fields.update(_masked(message))
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)


def outbox_relay(*, min_age_seconds: int = 30, limit: int = 5000) -> int:
    """Hand to Celery what was not handed over (broker down) or whose sender died mid-send.

    Idempotent and safe to run twice at once: sending claims each row with a conditional update.
    """
    now = timezone.now()
    stuck_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    # A sender killed between claiming and finishing: try again while attempts remain.
    Message.objects.filter(status=MessageStatus.SENDING, updated_at__lt=stuck_before).filter(
        attempts__lt=MAX_SEND_ATTEMPTS
    ).update(status=MessageStatus.PENDING, updated_at=now)
    capped = Message.objects.filter(status=MessageStatus.SENDING, updated_at__lt=stuck_before)
    for message in capped.filter(kind__in=CODE_KINDS).only("pk", "kind", "body"):  # few, and masked
        capped.filter(pk=message.pk).update(
            status=MessageStatus.FAILED, last_error="attempt cap reached", updated_at=now, **_masked(message)
        )
    capped.update(status=MessageStatus.FAILED, last_error="attempt cap reached", updated_at=now)
    ids = list(
        Message.objects.filter(status=MessageStatus.PENDING, created_at__lt=now - timedelta(seconds=min_age_seconds))
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in ids:
        _enqueue(message_id, DEFAULT_QUEUE)
    return len(ids)
