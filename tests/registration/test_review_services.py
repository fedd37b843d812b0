"""The enrollment state machine and back-office review services, and KPJ numbers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.exceptions import Conflict, DomainError
from core.models import AuditLog
from notifications.models import InboxItem, Message
from registration import services
from registration.choices import ENROLLMENT_TRANSITIONS, ConsentMethod, EnrollmentStatus
from registration.kpj import kpj_generate, kpj_is_valid, luhn_check_digit
from registration.models import Enrollment
from tests.factories import UserFactory, enrollment

pytestmark = pytest.mark.django_db

STATES = [s.value for s in EnrollmentStatus]


@pytest.fixture
def reviewer(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def make(reference, settings, reviewer):
    """make(state, **overrides) -> an enrollment in that state, made through the services."""

    def build(state: str, **overrides) -> Enrollment:
        if state == "awaiting_consent":
            made = enrollment(consent=False, **overrides)
        elif state == "approved":
            settings.REVIEW_MODE = "flagged"
            made = enrollment(**overrides)
        else:
            settings.REVIEW_MODE = "all"
            made = enrollment(**overrides)
            settings.REVIEW_MODE = "flagged"
            if state == "rejected":
                made = services.enrollment_reject(enrollment=made, actor=reviewer, reason="Nama tidak cocok")
            elif state == "ended":
                made = services.enrollment_end(enrollment=made)
        assert made.status == state
        return made

    return build


def frozen(made: Enrollment) -> dict:
    return Enrollment.objects.filter(pk=made.pk).values().get()


def assert_conflict(call, made: Enrollment, code: str = "invalid_status") -> None:
    before = frozen(made)
    with pytest.raises(Conflict) as caught:
        call()
    assert caught.value.code == code
    assert caught.value.status_code == 409
    assert frozen(made) == before


# --- The transition map -------------------------------------------------------------------------------


def test_transition_map():
    assert ENROLLMENT_TRANSITIONS == {
        "awaiting_consent": {"pending_review", "approved", "ended", "expired"},
        "pending_review": {"approved", "rejected", "ended"},
        "approved": {"ended"},
        "rejected": set(),
        "ended": set(),
        "expired": set(),
    }


@pytest.mark.parametrize("state", ["awaiting_consent", "approved", "rejected", "ended"])
def test_approve_only_pending_review(make, reviewer, state):
    made = make(state)
    assert_conflict(lambda: services.enrollment_approve(enrollment=made, actor=reviewer), made)
    assert not AuditLog.objects.filter(action="enrollment_approve").exists()


@pytest.mark.parametrize("state", ["awaiting_consent", "approved", "rejected", "ended"])
def test_reject_only_pending_review(make, reviewer, state):
    made = make(state)
    audit_rows = AuditLog.objects.count()
    assert_conflict(lambda: services.enrollment_reject(enrollment=made, actor=reviewer, reason="x"), made)
    assert AuditLog.objects.count() == audit_rows


@pytest.mark.parametrize("state", ["ended", "rejected"])
def test_end_a_closed_enrollment(make, state):
    made = make(state)
    assert_conflict(lambda: services.enrollment_end(enrollment=made), made)


@pytest.mark.parametrize("state", ["awaiting_consent", "pending_review", "approved"])
def test_end_an_open_enrollment(make, state):
    made = make(state)
    ended = services.enrollment_end(enrollment=made)
    assert ended.status == "ended"
    row = Enrollment.objects.get(pk=made.pk)
    assert row.status == "ended" and row.ended_at is not None


@pytest.mark.parametrize("state", ["pending_review", "approved", "rejected", "ended"])
def test_consent_only_while_awaiting(make, state):
    made = make(state)
    assert_conflict(lambda: services.enrollment_consent(enrollment=made, code="123456"), made)
    assert_conflict(
        lambda: services.enrollment_consent_record(enrollment=made, method=ConsentMethod.SMS_OTP), made
    )
    assert_conflict(lambda: services.enrollment_resend_consent_code(enrollment=made), made)


@pytest.mark.parametrize("state", ["rejected", "ended"])
def test_update_a_closed_enrollment(make, state):
    made = make(state)
    assert_conflict(lambda: services.enrollment_update(enrollment=made, address="Jl. Baru"), made)


def test_consent_record_on_a_stale_object_is_refused(make):
    """The service re-reads the row under lock: a stale in-memory status does not let it through."""
    made = make("awaiting_consent")
    stale = Enrollment.objects.get(pk=made.pk)
    services.enrollment_end(enrollment=made)
    assert_conflict(lambda: services.enrollment_consent_record(enrollment=stale, method=ConsentMethod.SMS_OTP), made)


def test_approve_on_a_stale_object_is_refused(make, reviewer):
    made = make("pending_review")
    stale = Enrollment.objects.get(pk=made.pk)
    services.enrollment_reject(enrollment=made, actor=reviewer, reason="Duplikat")
    assert_conflict(lambda: services.enrollment_approve(enrollment=stale, actor=reviewer), made)


# --- Approval and rejection ---------------------------------------------------------------------------


def test_approval_stamps_kpj_reviewer_and_audit_log(make, reviewer):
    made = make("pending_review")
    approved = services.enrollment_approve(enrollment=made, actor=reviewer)

    row = Enrollment.objects.get(pk=made.pk)
    assert approved.status == row.status == "approved"
    assert kpj_is_valid(row.kpj_number)
    assert row.approved_at is not None
    assert row.reviewed_by == reviewer
    log = AuditLog.objects.get(action="enrollment_approve")
    assert log.actor == reviewer
    assert log.object_type == "registration.enrollment"
    assert log.object_id == str(made.pk)
    assert [i.kind for i in InboxItem.objects.filter(user=made.sponsor)] == ["enrollment_approved"]
    sms = Message.objects.filter(to=made.sponsor.phone, kind="enrollment_approved")
    assert sms.count() == 1 and row.kpj_number in sms.get().body


def test_automatic_approval_has_no_reviewer_nor_audit_row(make):
    made = make("approved")
    assert made.reviewed_by is None
    assert made.approved_at is not None
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reject_requires_a_reason(make, reviewer, reason):
    made = make("pending_review")
    before = frozen(made)
    with pytest.raises(DomainError) as caught:
        services.enrollment_reject(enrollment=made, actor=reviewer, reason=reason)
    assert caught.value.code == "rejection_reason_required"
    assert caught.value.status_code == 400
    assert frozen(made) == before
    assert not AuditLog.objects.exists()
    assert not InboxItem.objects.filter(user=made.sponsor).exists()


def test_rejection_records_reason_audit_and_inbox(make, reviewer):
    made = make("pending_review")
    services.enrollment_reject(enrollment=made, actor=reviewer, reason="  Nama tidak sesuai KTP  ")

    row = Enrollment.objects.get(pk=made.pk)
    assert row.status == "rejected"
    assert row.rejection_reason == "Nama tidak sesuai KTP"
    assert row.rejected_at is not None
    assert row.reviewed_by == reviewer
    assert row.kpj_number is None
    log = AuditLog.objects.get(action="enrollment_reject")
    assert log.actor == reviewer
    assert log.object_id == str(made.pk)
    assert "Nama tidak sesuai KTP" in log.detail
    items = InboxItem.objects.filter(user=made.sponsor)
    assert [i.kind for i in items] == ["enrollment_rejected"]
    assert "Nama tidak sesuai KTP" in items.get().body


def test_reveal_nik_requires_the_permission_and_is_logged(make, reviewer):
    from django.contrib.auth.models import Group

    made = make("approved", nik="3174014507900001")
    with pytest.raises(DomainError):
        services.enrollment_reveal_nik(enrollment=made, actor=reviewer)
    assert not AuditLog.objects.exists()

    admin = UserFactory(is_staff=True)
    admin.groups.add(Group.objects.get(name="admin"))
    admin = type(admin).objects.get(pk=admin.pk)  # fresh permission cache
    assert services.enrollment_reveal_nik(enrollment=made, actor=admin) == "3174014507900001"
    log = AuditLog.objects.get(action="nik_reveal")
    assert log.actor == admin and log.object_id == str(made.pk)


# --- KPJ numbers ----------------------------------------------------------------------------------------


def test_kpj_numbers_are_unique_and_valid_across_many_approvals(make, reviewer, settings):
    settings.SPONSOR_MAX_OPEN_ENROLLMENTS = 100
    settings.SPONSOR_BURST_LIMIT = 100
    settings.SPONSOR_DAILY_REGISTRATIONS = 100  # not about the daily cap (tests/registration/test_limits.py)
    sponsor = UserFactory()
    numbers = [make("approved", sponsor=sponsor).kpj_number for _ in range(15)]
    numbers += [
        services.enrollment_approve(enrollment=make("pending_review", sponsor=sponsor), actor=reviewer).kpj_number
        for _ in range(15)
    ]
    assert len(set(numbers)) == len(numbers) == 30
    assert all(kpj_is_valid(n) and len(n) == 11 and n.isdigit() for n in numbers)


def test_a_kpj_collision_is_retried(make, reviewer, monkeypatch):
    """The generator is random; when it repeats a number already issued, another one is taken."""
    first = make("approved")
    fresh = kpj_generate()
    while fresh == first.kpj_number:
        fresh = kpj_generate()
    candidates = iter([first.kpj_number, first.kpj_number, fresh])
    monkeypatch.setattr(services, "kpj_generate", lambda: next(candidates))

    second = services.enrollment_approve(enrollment=make("pending_review"), actor=reviewer)
    assert second.kpj_number == fresh
    assert Enrollment.objects.filter(kpj_number=first.kpj_number).count() == 1


def test_kpj_generate_gives_valid_numbers():
    for _ in range(500):
        number = kpj_generate()
        assert len(number) == 11 and number.isdigit() and number[0] != "0"
        assert kpj_is_valid(number)


@pytest.mark.parametrize("value", ["", "1234567890", "123456789012", "1234567890a", "12345 67890"])
def test_kpj_is_valid_rejects_malformed(value):
    assert not kpj_is_valid(value)


@given(
    body=st.integers(min_value=10**9, max_value=10**10 - 1).map(str),
    position=st.integers(min_value=0, max_value=10),
    shift=st.integers(min_value=1, max_value=9),
)
def test_a_single_digit_typo_is_detected(body, position, shift):
    number = body + luhn_check_digit(body)
    assert kpj_is_valid(number)
    typo = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1:]
    assert typo != number
    assert not kpj_is_valid(typo)


@given(
    body=st.integers(min_value=10**9, max_value=10**10 - 1).map(str),
    position=st.integers(min_value=0, max_value=9),
)
def test_an_adjacent_swap_of_different_digits_is_detected(body, position):
    """Luhn catches every adjacent transposition except 09 <-> 90."""
    number = body + luhn_check_digit(body)
    a, b = number[position], number[position + 1]
    if a == b or {a, b} == {"0", "9"}:
        return
    swapped = number[:position] + b + a + number[position + 2:]
    assert not kpj_is_valid(swapped)
