"""Members and their sponsorships (enrollments): registration, the worker's consent, automated checks,
review, expiry, and the end of a sponsorship (by the sponsor, or by the worker withdrawing consent).

A member is the person (one per NIK, for life); a sponsorship is who pays. Registering a NIK that is
already a member adds a sponsorship to that member: same KPJ, same paid months (API.md "Members")."""

import datetime
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.audit import audit_log_record
from core.crypto import blind_index, decrypt_text, encrypt_text
from core.db import update_rows
from core.exceptions import Conflict, DomainError
from core.nik import InvalidNik, invalid_nik_reason, parse_nik
from notifications import services as notifications
from registration import limits, ports, registry, selectors
from registration.choices import (
    ENROLLMENT_TRANSITIONS,
    OPEN_STATUSES,
    REQUIRED_PROGRAMMES,
    ConsentMethod,
    EndReason,
    EnrollmentStatus,
    Programme,
    Relationship,
    ReviewFlag,
)
from registration.coverage import add_months
from registration.kpj import kpj_generate
from registration.models import Enrollment, IncomeLevel, Member, Occupation
from sponsors import services as accounts
from sponsors.choices import OtpPurpose
from sponsors.models import User

_CONSTRAINT_ERRORS = {
    "registration_enrollment_one_open_per_member": ("nik_already_registered", "nik"),
    "registration_enrollment_one_open_self_per_account": ("self_already_registered", "relationship"),
}


def today_wib() -> datetime.date:
    """Business dates are computed in Asia/Jakarta (the project's TIME_ZONE)."""
    return timezone.localdate()


def _age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def programmes_require(programmes) -> bool:
    """Return whether JHT is included; JKK and JKM are required (PP 44/2015 for BPU)."""
    if not isinstance(programmes, (list, tuple)) or not all(isinstance(p, str) for p in programmes):
        raise DomainError("programmes_invalid", attr="programmes")
    chosen = set(programmes)
    if len(chosen) != len(programmes) or not chosen <= set(Programme.values) or not REQUIRED_PROGRAMMES <= chosen:
        raise DomainError("programmes_invalid", attr="programmes")
    return Programme.JHT.value in chosen


def occupation_require(code) -> Occupation:
    occupation = selectors.occupation_get(code=code)
    if occupation is None:
        raise DomainError("occupation_invalid", attr="occupation")
    return occupation


def income_level_require(amount) -> IncomeLevel:
    level = selectors.income_level_get(amount=amount)
    if level is None:
        raise DomainError("income_level_invalid", attr="income_level")
    return level


def _transition(enrollment: Enrollment, target: str, **fields) -> Enrollment:
    """Move a locked enrollment to `target` if the state machine allows it, stamping `fields`."""
    if target not in ENROLLMENT_TRANSITIONS[enrollment.status]:
        raise Conflict("invalid_status", status=enrollment.status)
    enrollment.status = target
    for name, value in fields.items():
        setattr(enrollment, name, value)
    enrollment.save(update_fields=["status", "updated_at", *fields])
    return enrollment


def _lock(enrollment: Enrollment) -> Enrollment:
    # of=("self",): only the enrollment's row. Without it PostgreSQL also locks the joined occupation
    # (every worker of that occupation, nationwide), the sponsor's account and the member
    # (tests/test_lock_scope.py).
    locked = Enrollment.objects.select_for_update(no_key=True, of=("self",)).select_related(
        "occupation", "sponsor", "member"
    )
    return locked.get(pk=enrollment.pk)


def _consent_overdue(enrollment: Enrollment) -> bool:
    """Whether an `awaiting_consent` registration outlived CONSENT_TTL_HOURS (it expires)."""
    return enrollment.created_at <= timezone.now() - timedelta(hours=settings.CONSENT_TTL_HOURS)


# --- Registration ---------------------------------------------------------------------------------


def enrollment_create(
    *,
    sponsor: User,
    nik: str,
    full_name: str,
    birth_date: datetime.date,
    phone: str,
    occupation: str,
    relationship: str,
    income_level: int,
    programmes: list[str],
    address: str = "",
) -> Enrollment:
    """Register a worker. A sponsored worker must then consent by SMS code; a self-enrollment is
    consented by the account holder themselves and goes straight to the automated checks.

    Rules: a valid NIK agreeing with the birth date (Dukcapil format); age WORKER_MIN_AGE to
    WORKER_MAX_AGE on the day of the person's first registration (a returning member may be past it);
    JKK and JKM required; one open sponsorship per member; at most SPONSOR_MAX_OPEN_ENROLLMENTS open per
    sponsor; one open self-enrollment per account; at most SPONSOR_DAILY_REGISTRATIONS registrations per
    sponsor in 24 h, and CONSENT_SMS_PER_PHONE_DAILY consent codes per phone in 24 h (registration.limits).
    A NIK that is already a member joins that member.
    """
    try:
        parsed = parse_nik(nik)
    except InvalidNik as exc:
        raise DomainError("nik_invalid", attr="nik", reason=invalid_nik_reason(nik, exc.reason)) from exc
    if not parsed.matches_birth_date(birth_date):
        raise DomainError("nik_birth_date_mismatch", attr="birth_date")
    nik_hash = blind_index(parsed.value)
    known = Member.objects.filter(nik_hash=nik_hash).values("birth_date", "registered_at").first()
    if known is not None and known["birth_date"] != birth_date:
        raise DomainError("nik_birth_date_mismatch", attr="birth_date")
    if known is None or known["registered_at"] is None:
        # DOMAIN.md: the age limit applies at the first registration; a member may keep paying after it.
        age = _age_on(birth_date, today_wib())
        if not settings.WORKER_MIN_AGE <= age <= settings.WORKER_MAX_AGE:
            raise DomainError(
                "age_not_eligible", attr="birth_date", min_age=settings.WORKER_MIN_AGE, max_age=settings.WORKER_MAX_AGE
            )
    if relationship == Relationship.SELF and phone != sponsor.phone:
        # A self-enrollment is consented by the account holder, whose phone is verified: it must be
        # theirs, or a sponsor could skip a worker's consent by calling them "self".
        raise DomainError("self_phone_mismatch", attr="phone")
    occupation_row = occupation_require(occupation)
    level = income_level_require(income_level)
    jht = programmes_require(programmes)

    with transaction.atomic():
        # The sponsor's row is the lock that serialises their limit checks.
        User.objects.select_for_update(no_key=True).only("pk").get(pk=sponsor.pk)
        limits.sponsor_registrations_check(sponsor_id=sponsor.pk)
        open_enrollments = Enrollment.objects.filter(sponsor=sponsor, status__in=OPEN_STATUSES)
        if relationship == Relationship.SELF and open_enrollments.filter(relationship=Relationship.SELF).exists():
            raise Conflict("self_already_registered", attr="relationship")
        if open_enrollments.count() >= settings.SPONSOR_MAX_OPEN_ENROLLMENTS:
            raise Conflict("sponsor_limit_reached", limit=settings.SPONSOR_MAX_OPEN_ENROLLMENTS)
        member = _member_get_or_create(parsed=parsed, nik_hash=nik_hash, birth_date=birth_date)
        _free_member(member=member, sponsor=sponsor, relationship=relationship)
        enrollment = Enrollment(
            sponsor=sponsor,
            member=member,
            relationship=relationship,
            full_name=full_name.strip(),
            phone=phone,
            address=address.strip(),
            occupation=occupation_row,
            income_level=level,
            jht=jht,
        )
        try:
            with transaction.atomic():
                enrollment.save()
        except IntegrityError as exc:
            # Another request registered the same NIK (or self) between our check and our insert.
            for name, (code, attr) in _CONSTRAINT_ERRORS.items():
                if name in str(exc):
                    raise Conflict(code, attr=attr) from exc
            raise

        if relationship == Relationship.SELF:
            enrollment = enrollment_consent_record(enrollment=enrollment, method=ConsentMethod.ACCOUNT_HOLDER)
        else:
            _send_consent_code(enrollment)
    return enrollment


def _member_get_or_create(*, parsed, nik_hash: str, birth_date: datetime.date) -> Member:
    """The member of this NIK, made at the person's first registration (with no KPJ until approved)."""
    member = Member.objects.filter(nik_hash=nik_hash).first()
    if member is not None:
        return member
    member = Member(
        nik_encrypted=encrypt_text(parsed.value),
        nik_hash=nik_hash,
        nik_last4=parsed.value[-4:],
        birth_date=birth_date,
        gender=parsed.gender,
    )
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        # A concurrent first registration of the same NIK made it (its commit released our insert).
        return Member.objects.get(nik_hash=nik_hash)
    return member


def _free_member(*, member: Member, sponsor: User, relationship: str) -> None:
    """Make room for a new sponsorship of `member`, or raise 409 `nik_already_registered`.

    An open sponsorship holds the member, except a registration still awaiting consent that either
    outlived CONSENT_TTL_HOURS or names the phone of the account now enrolling itself (the worker's
    own self-enrollment replaces it): that one expires now."""
    current = Enrollment.objects.filter(member=member, status__in=OPEN_STATUSES).first()
    if current is None:
        return
    replaceable = current.status == EnrollmentStatus.AWAITING_CONSENT and (
        _consent_overdue(current) or (relationship == Relationship.SELF and current.phone == sponsor.phone)
    )
    if not (replaceable and _expire(current)):
        raise Conflict("nik_already_registered", attr="nik")


def _send_consent_code(enrollment: Enrollment) -> None:
    with transaction.atomic():
        limits.consent_sms_check(phone=enrollment.phone)
        accounts.otp_issue(
            purpose=OtpPurpose.WORKER_CONSENT,
            subject_id=enrollment.pk,
            phone=enrollment.phone,
            # The worker is not an account holder yet: the consent notice goes out in Indonesian.
            language="id",
            sponsor_name=enrollment.sponsor.full_name,
            programmes=", ".join(enrollment.programmes),
        )


def _require_awaiting_consent(enrollment: Enrollment) -> None:
    """Refuse a consent step unless the registration awaits consent; one that outlived
    CONSENT_TTL_HOURS expires now (the beat task would have expired it anyway)."""
    if enrollment.status == EnrollmentStatus.AWAITING_CONSENT and _consent_overdue(enrollment):
        with transaction.atomic():
            _expire(enrollment)
        enrollment.refresh_from_db(fields=["status"])
    if enrollment.status != EnrollmentStatus.AWAITING_CONSENT:
        raise Conflict("invalid_status", status=enrollment.status)


def enrollment_resend_consent_code(*, enrollment: Enrollment) -> None:
    _require_awaiting_consent(enrollment)
    _send_consent_code(enrollment)


def enrollment_consent(*, enrollment: Enrollment, code: str) -> Enrollment:
    """Record the worker's consent (the SMS code they read out to the sponsor), then run the checks."""
    _require_awaiting_consent(enrollment)
    accounts.otp_verify(purpose=OtpPurpose.WORKER_CONSENT, subject_id=enrollment.pk, code=code)
    return enrollment_consent_record(enrollment=enrollment, method=ConsentMethod.SMS_OTP)


def enrollment_consent_record(*, enrollment: Enrollment, method: str) -> Enrollment:
    """Record consent given by `method` (its proof already checked), then run the automated checks."""
    with transaction.atomic():
        enrollment = _lock(enrollment)
        if enrollment.status != EnrollmentStatus.AWAITING_CONSENT:
            raise Conflict("invalid_status", status=enrollment.status)
        enrollment.consent_method = method
        enrollment.consented_at = timezone.now()
        enrollment.consent_notice_version = settings.CONSENT_NOTICE_VERSION
        enrollment.save(update_fields=["consent_method", "consented_at", "consent_notice_version"])
        _check_and_decide(enrollment)
    return enrollment


# --- Automated checks and review ------------------------------------------------------------------


def enrollment_checks(*, enrollment: Enrollment) -> list[str]:
    """Flags that send an enrollment to back-office review instead of automatic approval."""
    flags = []
    if (
        Enrollment.objects.filter(phone=enrollment.phone, status__in=OPEN_STATUSES)
        .exclude(pk=enrollment.pk)
        .exists()
    ):
        flags.append(ReviewFlag.PHONE_SHARED.value)
    recent = Enrollment.objects.filter(
        sponsor_id=enrollment.sponsor_id, created_at__gte=timezone.now() - timedelta(hours=24)
    ).count()
    if recent > settings.SPONSOR_BURST_LIMIT:
        flags.append(ReviewFlag.SPONSOR_BURST.value)
    result = registry.get_civil_registry().verify(
        nik=decrypt_text(enrollment.member.nik_encrypted),
        full_name=enrollment.full_name,
        birth_date=enrollment.member.birth_date,
    )
    if result.status == registry.MISMATCH:
        flags.append(ReviewFlag.REGISTRY_MISMATCH.value)
    elif result.status == registry.UNAVAILABLE:
        flags.append(ReviewFlag.REGISTRY_UNAVAILABLE.value)
    if settings.REVIEW_MODE == "all":
        flags.append(ReviewFlag.REVIEW_ALL.value)
    member = enrollment.member
    if member.phone and enrollment.phone != member.phone:
        # A returning member registered with another phone than the one on record (by a new sponsor,
        # or by an account of another number): a person checks it is the same worker.
        flags.append(ReviewFlag.MEMBER_PHONE_CHANGED.value)
    return flags


def _check_and_decide(enrollment: Enrollment) -> Enrollment:
    flags = enrollment_checks(enrollment=enrollment)
    if flags:
        return _transition(enrollment, EnrollmentStatus.PENDING_REVIEW, review_flags=flags)
    return _approve(enrollment, actor=None)


def _assign_kpj() -> str:
    for _ in range(10):
        candidate = kpj_generate()
        if not Member.objects.filter(kpj_number=candidate).exists():
            return candidate
    raise RuntimeError("could not find a free KPJ number in 10 tries")


def _member_approve(enrollment: Enrollment) -> Member:
    """The member of an enrollment being approved, locked: its KPJ (issued at the first approval,
    never again), first-registration day, phone on record and count of approved sponsorships."""
    member = Member.objects.select_for_update(no_key=True).get(pk=enrollment.member_id)
    member.phone = enrollment.phone
    member.approved_sponsorships += 1
    fields = ["phone", "approved_sponsorships", "updated_at"]
    if member.kpj_number is not None:
        member.save(update_fields=fields)
        return member
    member.registered_at = today_wib()
    for attempt in range(3):
        try:
            with transaction.atomic():
                member.kpj_number = _assign_kpj()
                member.save(update_fields=[*fields, "kpj_number", "registered_at"])
            return member
        except IntegrityError:  # a concurrent approval took the same KPJ number
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _approve(enrollment: Enrollment, *, actor: User | None) -> Enrollment:
    """Approve a locked enrollment; the member gets its KPJ if it had none."""
    if EnrollmentStatus.APPROVED not in ENROLLMENT_TRANSITIONS[enrollment.status]:
        raise Conflict("invalid_status", status=enrollment.status)
    member = _member_approve(enrollment)
    enrollment.member = member
    _transition(
        enrollment,
        EnrollmentStatus.APPROVED,
        kpj_number=member.kpj_number,
        approved_at=timezone.now(),
        reviewed_by=actor,
    )
    if actor is not None:
        audit_log_record(actor=actor, action="enrollment_approve", obj=enrollment)
    notifications.user_notify(
        user=enrollment.sponsor,
        kind="enrollment_approved",
        worker_name=enrollment.full_name,
        kpj_number=enrollment.kpj_number,
    )
    return enrollment


def enrollment_approve(*, enrollment: Enrollment, actor: User) -> Enrollment:
    """Back-office approval of an enrollment waiting for review; issues the KPJ number."""
    with transaction.atomic():
        enrollment = _lock(enrollment)
        if enrollment.status != EnrollmentStatus.PENDING_REVIEW:
            raise Conflict("invalid_status", status=enrollment.status)
        return _approve(enrollment, actor=actor)


def enrollment_reject(*, enrollment: Enrollment, actor: User, reason: str) -> Enrollment:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("rejection_reason_required", attr="rejection_reason")
    with transaction.atomic():
        enrollment = _lock(enrollment)
        if enrollment.status != EnrollmentStatus.PENDING_REVIEW:
            raise Conflict("invalid_status", status=enrollment.status)
        _transition(
            enrollment,
            EnrollmentStatus.REJECTED,
            rejection_reason=reason,
            rejected_at=timezone.now(),
            reviewed_by=actor,
        )
        audit_log_record(actor=actor, action="enrollment_reject", obj=enrollment, detail=reason)
        notifications.user_notify(
            user=enrollment.sponsor, kind="enrollment_rejected", worker_name=enrollment.full_name, reason=reason
        )
    return enrollment


def enrollment_reveal_nik(*, enrollment: Enrollment, actor: User) -> str:
    """The full NIK, for staff allowed to see it; every reveal is audit-logged."""
    if not actor.has_perm("registration.reveal_nik"):
        raise DomainError("permission_denied", status_code=403)
    audit_log_record(actor=actor, action="nik_reveal", obj=enrollment)
    return decrypt_text(enrollment.member.nik_encrypted)


# --- Expiry, the end of a sponsorship, withdrawal --------------------------------------------------


def _expire(enrollment: Enrollment) -> bool:
    """Expire a registration that never got consent (inside the caller's transaction); its sponsor is
    told in the inbox. False if it no longer awaits consent (consented or ended meanwhile)."""
    enrollment = _lock(enrollment)
    if enrollment.status != EnrollmentStatus.AWAITING_CONSENT:
        return False
    _transition(enrollment, EnrollmentStatus.EXPIRED, expired_at=timezone.now())
    notifications.user_notify(
        user=enrollment.sponsor, kind="enrollment_expired", sms=False, worker_name=enrollment.full_name
    )
    return True


def enrollment_expire(*, enrollment: Enrollment) -> bool:
    with transaction.atomic():
        return _expire(enrollment)


def enrollments_expire_unconsented(*, limit: int = 10_000) -> int:
    """Expire the registrations still awaiting consent CONSENT_TTL_HOURS after they were made, so an
    unconsented registration cannot hold a NIK (beat, every few minutes). Idempotent."""
    cutoff = timezone.now() - timedelta(hours=settings.CONSENT_TTL_HOURS)
    stale = Enrollment.objects.filter(status=EnrollmentStatus.AWAITING_CONSENT, created_at__lte=cutoff)
    expired = 0
    for enrollment in stale.order_by("created_at")[:limit]:
        expired += enrollment_expire(enrollment=enrollment)
    return expired


def _end(enrollment: Enrollment, *, reason: str, closed_code: str) -> Enrollment:
    with transaction.atomic():
        # The invoices first, then the worker: the order a payment's credit locks them in, so the two
        # cannot deadlock. Again once the worker is locked: an invoice made while we waited for it.
        ports.billing_stop(enrollment.pk)
        enrollment = _lock(enrollment)
        if enrollment.status not in OPEN_STATUSES:
            raise Conflict(closed_code, status=enrollment.status)
        was_approved = enrollment.status == EnrollmentStatus.APPROVED
        fields: dict = {"ended_at": timezone.now(), "end_reason": reason}
        if was_approved:
            # What this sponsorship shows from now on: later payments are not its sponsor's to see.
            member = enrollment.member
            fields.update(ended_paid_through=member.paid_through, ended_coverage_started=member.coverage_started)
        _transition(enrollment, EnrollmentStatus.ENDED, **fields)
        ports.billing_stop(enrollment.pk)
        if was_approved and reason == EndReason.SPONSOR_ENDED and enrollment.relationship != Relationship.SELF:
            _tell_worker_sponsorship_ended(enrollment)
        if reason == EndReason.CONSENT_WITHDRAWN:
            notifications.user_notify(user=enrollment.sponsor, kind="consent_withdrawn", worker_name=enrollment.full_name)
    return enrollment


def _tell_worker_sponsorship_ended(enrollment: Enrollment) -> None:
    """The worker learns until when they are covered and how to continue paying for themselves: by
    SMS, and in the inbox of their own account if they have one."""
    member = enrollment.member
    kind = "sponsorship_ended" if member.paid_through else "sponsorship_ended_unpaid"

    def params(language: str) -> dict:
        until = notifications.month_label(member.paid_through, language) if member.paid_through else ""
        return {"sponsor_name": enrollment.sponsor.full_name, "kpj_number": member.kpj_number, "until": until}

    notifications.sms_send(to=enrollment.phone, kind=kind, language="id", **params("id"))
    account = User.objects.filter(phone=enrollment.phone, phone_verified_at__isnull=False).first()
    if account is not None:
        notifications.user_notify(user=account, kind=kind, sms=False, inbox_kind="sponsorship_ended",
                                  **params(account.language))


def enrollment_end(*, enrollment: Enrollment) -> Enrollment:
    """The sponsor ends the sponsorship (or withdraws a registration). The member keeps the KPJ and
    every paid month; reminders stop; pending invoices that bill the worker are cancelled, so no stale
    VA is paid for an ended worker; the worker is told by SMS how long they are covered and how to
    continue."""
    return _end(enrollment, reason=EndReason.SPONSOR_ENDED, closed_code="invalid_status")


def sponsorship_withdraw(*, enrollment: Enrollment) -> Enrollment:
    """The worker withdraws their consent to a sponsorship (UU PDP): it ends as if the sponsor ended
    it, and the sponsor is told in the inbox and by SMS."""
    return _end(enrollment, reason=EndReason.CONSENT_WITHDRAWN, closed_code="sponsorship_not_open")


# --- Changes by the sponsor -----------------------------------------------------------------------


def enrollment_update(
    *,
    enrollment: Enrollment,
    phone: str | None = None,
    occupation: str | None = None,
    income_level: int | None = None,
    programmes: list[str] | None = None,
    address: str | None = None,
) -> Enrollment:
    """Change what the sponsor may change. It applies to months not yet paid: paid months keep the
    price they were invoiced at."""
    changes: dict = {}
    if occupation is not None:
        changes["occupation"] = occupation_require(occupation)
    if income_level is not None:
        changes["income_level"] = income_level_require(income_level)
    if programmes is not None:
        changes["jht"] = programmes_require(programmes)
    if address is not None:
        changes["address"] = address.strip()
    with transaction.atomic():
        enrollment = _lock(enrollment)
        if enrollment.status not in OPEN_STATUSES:
            raise Conflict("invalid_status", status=enrollment.status)
        phone_changed = phone is not None and phone != enrollment.phone
        if phone_changed:
            changes["phone"] = phone
        for name, value in changes.items():
            setattr(enrollment, name, value)
        if changes:
            enrollment.save(update_fields=[*changes, "updated_at"])
        if phone_changed and enrollment.status == EnrollmentStatus.APPROVED:
            # The member's phone on record is that of their approved sponsorship, as changed while open.
            Member.objects.filter(pk=enrollment.member_id).update(phone=phone, updated_at=timezone.now())
            enrollment.member.phone = phone
        if phone_changed and enrollment.status == EnrollmentStatus.AWAITING_CONSENT:
            # Consent must come from the phone the worker actually holds.
            _send_consent_code(enrollment)
    return enrollment


# --- Coverage summary (written by the contributions app when a payment is credited) ----------------


def members_lock_for_sponsorships(*, enrollment_ids: list[int]) -> dict[int, Member]:
    """The members of these sponsorships, locked FOR NO KEY UPDATE in the order of the sponsorships'
    ids, the order invoice creation locks them in (so the two never deadlock): {enrollment id: member}.
    OF self: the members only, not the sponsorships the query joins."""
    locked = (
        Member.objects.select_for_update(no_key=True, of=("self",))
        .only("paid_through", "coverage_started", "kpj_number")  # what crediting reads and writes
        .filter(sponsorships__pk__in=enrollment_ids)
        .annotate(sponsorship_id=F("sponsorships__pk"))
        .order_by("sponsorships__pk")
    )
    return {member.sponsorship_id: member for member in locked}


def member_coverage_extend(*, member: Member, months: list[datetime.date]) -> Member:
    """Move `paid_through` forward to the last of `months` (never backwards). A gap after the old
    `paid_through` (a lapse, or the first payment) starts a new coverage period at the first month.
    Call inside the transaction that writes the ledger rows, with the member locked."""
    members_coverage_extend(extensions=[(member, months)])
    return member


def members_coverage_extend(*, extensions: list[tuple[Member, list[datetime.date]]]) -> None:
    """member_coverage_extend for many members (each once), in one statement."""
    changed = []
    for member, months in extensions:
        first, last = min(months), max(months)
        paid_through, coverage_started = member.paid_through, member.coverage_started
        if paid_through is None or first > add_months(paid_through, 1):
            coverage_started = first
        if paid_through is None or last > paid_through:
            paid_through = last
        if (paid_through, coverage_started) != (member.paid_through, member.coverage_started):
            changed.append((member, paid_through, coverage_started))
    if not changed:
        return
    now = timezone.now()
    # Written from copies: the members keep their values until the statement has succeeded.
    update_rows(
        [Member(pk=member.pk, paid_through=through, coverage_started=started, updated_at=now) for member, through, started in changed],
        ["paid_through", "coverage_started", "updated_at"],
    )
    for member, through, started in changed:
        member.paid_through, member.coverage_started, member.updated_at = through, started, now
