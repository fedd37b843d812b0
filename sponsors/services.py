"""Accounts, one-time codes, and the audit of back-office changes to accounts and groups."""

import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from rest_framework.exceptions import ErrorDetail, ValidationError

from core.audit import audit_log_record
from core.crypto import keyed_digest
from core.exceptions import Conflict, DomainError
from core.models import AuditLog
from notifications import services as notifications
from sponsors.choices import OtpPurpose, ReminderChannel
from sponsors.models import Device, OtpChallenge, User

# --- One-time codes -------------------------------------------------------------------------------


def _code_digest(purpose: str, subject_id: int, code: str) -> str:
    return keyed_digest(f"otp:{purpose}:{subject_id}", code)


def otp_issue(
    *, purpose: str, subject_id: int, phone: str, language: str, user=None, **template_params
) -> OtpChallenge:
    """Create a fresh code for (purpose, subject), supersede older ones, and queue its SMS."""
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        OtpChallenge.objects.filter(
            purpose=purpose, subject_id=subject_id, consumed_at__isnull=True, superseded_at__isnull=True
        ).update(superseded_at=now)
        challenge = OtpChallenge.objects.create(
            purpose=purpose,
            subject_id=subject_id,
            code_hash=_code_digest(purpose, subject_id, code),
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        kind = {OtpPurpose.PHONE_VERIFICATION: "otp_phone", OtpPurpose.LOGIN: "otp_login"}.get(purpose, "otp_consent")
        notifications.sms_send(
            to=phone, kind=kind, language=language, user=user, urgent=True, code=code, **template_params
        )
    return challenge


def otp_verify(*, purpose: str, subject_id: int, code: str) -> OtpChallenge:
    """Consume the live code for (purpose, subject) or raise otp_invalid / otp_expired / otp_locked.

    A wrong try is counted in its own committed transaction, so the error the caller raises afterwards
    cannot roll the count back. Call this outside any enclosing transaction.
    """
    now = timezone.now()
    error = None
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.select_for_update(no_key=True)
            .filter(purpose=purpose, subject_id=subject_id, consumed_at__isnull=True, superseded_at__isnull=True)
            .order_by("-id")
            .first()
        )
        if challenge is None:
            error = DomainError("otp_expired", attr="code")
        elif challenge.attempts >= settings.OTP_MAX_ATTEMPTS:
            error = DomainError("otp_locked", attr="code")
        elif challenge.expires_at <= now:
            error = DomainError("otp_expired", attr="code")
        elif not hmac.compare_digest(challenge.code_hash, _code_digest(purpose, subject_id, str(code))):
            OtpChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
            error = DomainError("otp_invalid", attr="code")
        else:
            challenge.consumed_at = now
            challenge.save(update_fields=["consumed_at", "updated_at"])
    if error is not None:
        raise error
    return challenge


def otp_cleanup(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete codes that can no longer be used. Idempotent."""
    deleted, _ = OtpChallenge.objects.filter(expires_at__lt=timezone.now() - older_than).delete()
    return deleted


# --- Accounts -------------------------------------------------------------------------------------


def _validate_password(password: str, user: User) -> None:
    """Django's password validators, reported on the `password` field with their own codes."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(
            {"password": [ErrorDetail(error.messages[0], code=error.code) for error in exc.error_list]}
        ) from exc


def user_signup(*, phone: str, full_name: str, password: str, email: str = "", language: str = "id") -> User:
    """Create an account (or refresh an unverified one) and send the phone verification code.

    An unverified account does not block its number: whoever proves they hold the phone gets it, so a
    typo or a squatter cannot lock the real owner out.
    """
    with transaction.atomic():
        existing = User.objects.select_for_update(no_key=True).filter(phone=phone).first()
        if existing is not None and existing.phone_verified:
            raise Conflict("phone_taken", attr="phone")
        user = existing or User(phone=phone)
        user.full_name = full_name
        user.email = email
        user.language = language
        _validate_password(password, user)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:  # a concurrent signup for the same phone won
            raise Conflict("phone_taken", attr="phone") from exc
        otp_issue(
            purpose=OtpPurpose.PHONE_VERIFICATION,
            subject_id=user.pk,
            phone=user.phone,
            language=user.language,
            user=user,
        )
    return user


def user_verify_phone(*, phone: str, code: str) -> User:
    user = User.objects.filter(phone=phone).first()
    if user is None:
        # Same answer as a wrong code: whether a number has an account is not disclosed.
        raise DomainError("otp_invalid", attr="code")
    if user.phone_verified:
        return user
    otp_verify(purpose=OtpPurpose.PHONE_VERIFICATION, subject_id=user.pk, code=code)
    User.objects.filter(pk=user.pk, phone_verified_at__isnull=True).update(phone_verified_at=timezone.now())
    user.refresh_from_db()
    return user


def user_resend_code(*, phone: str) -> None:
    """Send a new verification code if the number has an unverified account; silent otherwise."""
    user = User.objects.filter(phone=phone, phone_verified_at__isnull=True).first()
    if user is not None:
        otp_issue(
            purpose=OtpPurpose.PHONE_VERIFICATION,
            subject_id=user.pk,
            phone=user.phone,
            language=user.language,
            user=user,
        )


# --- Login ----------------------------------------------------------------------------------------

# Failed logins count in windows of an hour from the first failure (LOGIN_STEP_UP_AFTER).
LOGIN_FAILURE_WINDOW = timedelta(hours=1)
# Login codes: a new one no sooner than a minute after the last, and at most five an hour.
LOGIN_CODE_INTERVAL = timedelta(minutes=1)
LOGIN_CODES_PER_HOUR = 5


def user_login(*, phone: str | None, password: str, code: str | None = None, request=None) -> User:
    """The account that `phone` (E.164, or None if it was not a phone number) and `password` open.

    Failures never lock the owner out. Each wrong password counts against the account; once it has
    LOGIN_STEP_UP_AFTER failures within an hour (or LOGIN_STEP_UP_ALWAYS_AFTER ever, until the password
    changes), the right password alone answers `otp_required` and a code goes by SMS to the account's
    phone, and the right password with that code opens it. A guesser without the phone gets nothing.
    Raises `invalid_credentials` (401), `otp_required` (401), or `otp_invalid` / `otp_expired` /
    `otp_locked` (400). Call it outside any transaction (a failure must stay counted).
    """
    user = authenticate(request, phone=phone, password=password) if phone else None
    if user is None:
        if phone:
            _login_failure_count(phone=phone)
        raise DomainError("invalid_credentials", status_code=401)
    if _login_needs_code(user):
        if not code:
            _login_code_send(user=user)
            raise DomainError("otp_required", status_code=401, attr="code")
        otp_verify(purpose=OtpPurpose.LOGIN, subject_id=user.pk, code=code)
    return user


def _login_failure_count(*, phone: str) -> None:
    """Count a wrong password against the account of `phone`, if there is one.

    One UPDATE: PostgreSQL applies concurrent ones to the row one after the other, each on the
    result of the last, so no failure is lost whichever gunicorn worker counts it.
    """
    now = timezone.now()
    in_window = Q(login_failures_since__gt=now - LOGIN_FAILURE_WINDOW)
    User.objects.filter(phone=phone).update(
        login_failures=Case(When(in_window, then=F("login_failures") + 1), default=Value(1)),
        login_failures_since=Case(When(in_window, then=F("login_failures_since")), default=Value(now)),
        login_code_always=Case(
            When(in_window & Q(login_failures__gte=settings.LOGIN_STEP_UP_ALWAYS_AFTER - 1), then=Value(True)),
            default=F("login_code_always"),
        ),
    )


def _login_needs_code(user: User) -> bool:
    # Read from the row, not from `user`: a password rehash during authenticate() resets the copy.
    failures, since, always = User.objects.filter(pk=user.pk).values_list(
        "login_failures", "login_failures_since", "login_code_always"
    ).get()
    recent = since is not None and since > timezone.now() - LOGIN_FAILURE_WINDOW
    return always or (recent and failures >= settings.LOGIN_STEP_UP_AFTER)


def _login_code_send(*, user: User) -> None:
    """Send a login code, unless one went less than a minute ago or five went this hour.

    The code a stranger's login could not trigger (it takes the right password) is the owner's, so
    holding back a new one locks nobody out: the last one stays valid for its 5 minutes. A new code
    supersedes the last, so at most one is live; the account row lock keeps two requests from both
    sending.
    """
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
        sent = OtpChallenge.objects.filter(
            purpose=OtpPurpose.LOGIN, subject_id=user.pk, created_at__gt=now - timedelta(hours=1)
        ).values_list("created_at", flat=True)
        recent = sorted(sent, reverse=True)
        if len(recent) >= LOGIN_CODES_PER_HOUR or (recent and recent[0] > now - LOGIN_CODE_INTERVAL):
            return
        otp_issue(purpose=OtpPurpose.LOGIN, subject_id=user.pk, phone=user.phone, language=user.language, user=user)


def user_update(
    *,
    user: User,
    full_name: str | None = None,
    email: str | None = None,
    language: str | None = None,
    reminder_channels: list[str] | None = None,
) -> User:
    fields = []
    for name, value in (("full_name", full_name), ("email", email), ("language", language)):
        if value is not None:
            setattr(user, name, value)
            fields.append(name)
    if reminder_channels is not None:
        channels = [c for c in ReminderChannel.values if c in set(reminder_channels)]
        if ReminderChannel.WHATSAPP in channels and user.whatsapp_opt_in_at is None:
            # Choosing WhatsApp in the app is the recorded opt-in that WhatsApp templates require.
            user.whatsapp_opt_in_at = timezone.now()
            fields.append("whatsapp_opt_in_at")
        if ReminderChannel.WHATSAPP not in channels:
            user.whatsapp_opt_in_at = None
            fields.append("whatsapp_opt_in_at")
        user.reminder_channels = channels
        fields += ["remind_by_sms", "remind_by_whatsapp", "remind_by_push"]
    if fields:
        user.save(update_fields=fields)
    return user


def device_register(*, user: User, token: str, platform: str) -> Device:
    """Register a push token; a token seen on another account moves to this one (the phone changed hands)."""
    device, _ = Device.objects.update_or_create(token=token, defaults={"user": user, "platform": platform})
    return device


# --- Back-office accounts and groups --------------------------------------------------------------
#
# Only superusers manage staff: staff status, the superuser flag, groups and permissions, and any
# change at all to a staff account. Every back-office change of an account or a group is audit-logged
# with its actor. The admin hides what a non-superuser may not change; these checks run after the
# change, inside its transaction, so whatever slips past a form is refused and rolled back.

# Shown in the audit detail with their old and new values; other fields are named only.
ACCOUNT_PRIVILEGES = ("is_staff", "is_superuser", "groups", "user_permissions")
ACCOUNT_PROFILE = ("phone", "full_name", "email", "language", "remind_by_sms", "remind_by_whatsapp",
                   "remind_by_push", "whatsapp_opt_in_at", "phone_verified_at", "is_active")


def _permission_labels(permissions) -> list[str]:
    pairs = permissions.values_list("content_type__app_label", "codename")
    return sorted(f"{app}.{codename}" for app, codename in pairs)


def account_snapshot(account: User) -> dict:
    """An account as an audit compares it: flags, groups, permissions, the password hash and the profile."""
    snapshot = {name: getattr(account, name) for name in (*ACCOUNT_PROFILE, "is_staff", "is_superuser", "password")}
    snapshot["groups"] = sorted(account.groups.values_list("name", flat=True))
    snapshot["user_permissions"] = _permission_labels(account.user_permissions.all())
    return snapshot


def group_snapshot(group: Group) -> dict:
    return {"name": group.name, "permissions": _permission_labels(group.permissions.all())}


def _changes(before: dict, after: dict, shown: tuple[str, ...]) -> list[str]:
    """`is_superuser: False → True`, `groups: +admin −reviewer`, `password changed`, `email changed`."""
    lines = []
    for name, new in after.items():
        old = before.get(name)
        if old == new:
            continue
        if isinstance(new, list):
            added = [f"+{item}" for item in new if item not in (old or [])]
            removed = [f"−{item}" for item in (old or []) if item not in new]
            lines.append(f"{name}: {' '.join(added + removed)}")
        elif name in shown:
            lines.append(f"{name}: {old} → {new}")
        else:
            lines.append(f"{name} changed")
    return lines


def _superuser_only(actor: User) -> None:
    if not actor.is_superuser:
        raise PermissionDenied("Only a superuser manages staff accounts, groups and permissions.")


def account_change_record(*, actor: User, account: User, before: dict | None) -> AuditLog | None:
    """Audit a back-office change of `account` (`before` is None for a new account), or refuse it.

    A non-superuser may change neither a staff account nor anyone's staff status, superuser flag, groups
    or permissions: PermissionDenied, which rolls the surrounding transaction back. Call it inside the
    transaction of the change, after the change (and its groups) are saved.
    """
    after = account_snapshot(account)
    if before is None:
        privileged = after["is_staff"] or after["is_superuser"] or after["groups"] or after["user_permissions"]
        changes = [f"{name}: {after[name]}" for name in ("is_staff", "is_superuser")]
        changes += [f"{name}: +{' +'.join(after[name])}" for name in ("groups", "user_permissions") if after[name]]
        action = "account_create"
    else:
        changes = _changes(before, after, shown=(*ACCOUNT_PRIVILEGES, "is_active"))
        if not changes:
            return None
        staff = before["is_staff"] or before["is_superuser"]
        privileged = staff or any(before[name] != after[name] for name in ACCOUNT_PRIVILEGES)
        action = "account_change"
    if privileged:
        _superuser_only(actor)
    return audit_log_record(actor=actor, action=action, obj=account, detail="; ".join(changes))


def group_change_record(*, actor: User, group: Group, before: dict | None, deleted: bool = False) -> AuditLog | None:
    """Audit a back-office change of a group (superusers only; PermissionDenied otherwise).

    `before` is None for a new group; for a deletion, call it before the row is deleted.
    """
    _superuser_only(actor)
    after = group_snapshot(group)
    if deleted:
        action, changes = "group_delete", [f"name: {group.name}", f"permissions: {' '.join(after['permissions'])}"]
    elif before is None:
        action, changes = "group_create", _changes({}, after, shown=("name",))
    else:
        action, changes = "group_change", _changes(before, after, shown=("name",))
        if not changes:
            return None
    return audit_log_record(actor=actor, action=action, obj=group, detail="; ".join(changes))
