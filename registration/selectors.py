import datetime
import time
from dataclasses import dataclass

from django.db.models import Case, DateField, F, Q, QuerySet, When
from django.utils import timezone

from core.exceptions import Conflict
from registration import cardcode
from registration.benefits import benefit_list
from registration.choices import OPEN_STATUSES, EnrollmentStatus
from registration.coverage import MAX_ARREARS_MONTHS, Coverage, add_months, coverage_for, due_date
from registration.models import Enrollment, IncomeLevel, Member, Occupation

COVERAGE_STATUSES = ("not_started", "active", "arrears", "lapsed")


def enrollment_list_for_sponsor(*, sponsor) -> QuerySet[Enrollment]:
    """The caller's workers with their members, newest first. Every object endpoint scopes through this.
    (An occupation's sector comes from `occupation_sectors`, not from a join: the list is the API's
    busiest read, and each join costs it query compilation.)"""
    return Enrollment.objects.filter(sponsor=sponsor).select_related("member").order_by("-id")


# Columns a worker list never shows (the ciphertext is the widest).
_NOT_LISTED = ("sponsor", "review_flags", "consent_method", "consent_notice_version", "approved_at", "rejected_at",
               "expired_at", "reviewed_by", "updated_at", "member__nik_encrypted", "member__nik_hash",
               "member__phone", "member__created_at", "member__updated_at")


def enrollment_page_for_sponsor(
    *, sponsor, statuses: list[str] | None = None, coverage_status: str | None = None, today: datetime.date
) -> QuerySet[Enrollment]:
    """The caller's workers for a list page (what the worker resource shows, nothing more), with the
    filters of GET /workers: any of `statuses`, and a coverage status as the worker object shows it."""
    workers = enrollment_list_for_sponsor(sponsor=sponsor).defer(*_NOT_LISTED)
    if statuses:
        workers = workers.filter(status__in=statuses)
    if coverage_status:
        workers = workers.alias(shown_paid_through=_SHOWN_PAID_THROUGH).filter(
            _coverage_is(coverage_status, today=today)
        )
    return workers


# The paid_through the worker object shows: the member's while approved, as it stood at the end once
# ended (a sponsorship that was never approved shows none).
_SHOWN_PAID_THROUGH = Case(
    When(status=EnrollmentStatus.APPROVED, then=F("member__paid_through")),
    When(status=EnrollmentStatus.ENDED, then=F("ended_paid_through")),
    default=None,
    output_field=DateField(),
)


def _coverage_is(status: str, *, today: datetime.date) -> Q:
    """registration.coverage.coverage_for's status, as a condition on `shown_paid_through`."""
    current = today.replace(day=1)
    # The last month whose due date (the 15th) has passed: paid through it or later is `active`.
    last_overdue = current if today > due_date(current) else add_months(current, -1)
    lapsed_before = add_months(last_overdue, -MAX_ARREARS_MONTHS)
    return {
        "not_started": Q(shown_paid_through__isnull=True),
        "active": Q(shown_paid_through__gte=last_overdue),
        "arrears": Q(shown_paid_through__gte=lapsed_before, shown_paid_through__lt=last_overdue),
        "lapsed": Q(shown_paid_through__lt=lapsed_before),
    }[status]


def enrollment_get_for_sponsor(*, sponsor, enrollment_id: int) -> Enrollment | None:
    return enrollment_list_for_sponsor(sponsor=sponsor).filter(pk=enrollment_id).first()


# The sponsorships a worker sees of themselves: open ones and ended ones (not the rejected or expired
# attempts, which never covered them).
WORKER_VISIBLE_STATUSES = (*OPEN_STATUSES, EnrollmentStatus.ENDED.value)


def sponsorship_list_for_worker(*, user) -> QuerySet[Enrollment]:
    """The sponsorships by other accounts whose worker phone is the caller's verified phone (API.md,
    GET /me/sponsorships), newest first: the data subject's own view (UU PDP)."""
    if user.phone_verified_at is None:
        return Enrollment.objects.none()
    return (
        Enrollment.objects.filter(phone=user.phone, status__in=WORKER_VISIBLE_STATUSES)
        .exclude(sponsor=user)
        .select_related("sponsor", "member", "occupation")
        .order_by("-id")
    )


def sponsorship_get_for_worker(*, user, enrollment_id: int) -> Enrollment | None:
    return sponsorship_list_for_worker(user=user).filter(pk=enrollment_id).first()


def member_get(*, member_id: int) -> Member | None:
    return Member.objects.filter(pk=member_id).first()


def members_with_a_payer(*, member_ids: set[int]) -> set[int]:
    """Those of these members that have a payer now (an approved sponsorship)."""
    if not member_ids:
        return set()
    approved = Enrollment.objects.filter(member_id__in=member_ids, status=EnrollmentStatus.APPROVED)
    return set(approved.values_list("member_id", flat=True))


class _OccupationSectors:
    """Each occupation's sector, for pricing a worker: a table of a few dozen rows that back-office edits
    rarely, read at most once a minute per process (like contributions.pricing.RateBook), and again at
    once for a code it does not know yet."""

    ttl_seconds = 60

    def __init__(self):
        self.forget()

    def forget(self) -> None:
        self.sectors: dict[str, str] = {}
        self.loaded_at = float("-inf")

    def get(self, code: str) -> str:
        if time.monotonic() - self.loaded_at > self.ttl_seconds or code not in self.sectors:
            self.sectors = dict(Occupation.objects.values_list("code", "sector"))
            self.loaded_at = time.monotonic()
        return self.sectors[code]


occupation_sectors = _OccupationSectors()


def occupation_list() -> QuerySet[Occupation]:
    return Occupation.objects.filter(is_active=True)


def occupation_get(*, code: str) -> Occupation | None:
    if not isinstance(code, str):
        return None
    return Occupation.objects.filter(code=code, is_active=True).first()


def income_level_list() -> QuerySet[IncomeLevel]:
    return IncomeLevel.objects.filter(is_active=True)


def income_level_get(*, amount) -> IncomeLevel | None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        return None
    return IncomeLevel.objects.filter(amount=amount, is_active=True).first()


# --- The member's documents: card, public verification, benefits ----------------------------------
#
# Everything these documents show of a member is read by the two `member_facts_*` functions: the rest
# (card, verification page, benefits) works on MemberFacts and never touches a model.


@dataclass(frozen=True)
class ShownMembership:
    """The member's KPJ and coverage as one sponsorship shows them (API.md "Members")."""

    kpj_number: str
    paid_through: datetime.date | None  # the last paid month
    coverage_started: datetime.date | None  # the first month of the coverage period
    payable: bool  # the sponsorship can still be paid for (so the coverage has a next due date)


def membership_shown_by(enrollment: Enrollment) -> ShownMembership | None:
    """What `enrollment` shows of its member: the member's KPJ and coverage while it is approved; as
    they stood when it ended once ended (a former sponsor never sees later payments); nothing before
    approval (a NIK typed into a registration reveals no membership)."""
    if enrollment.status == EnrollmentStatus.APPROVED:
        member = enrollment.member
        return ShownMembership(member.kpj_number, member.paid_through, member.coverage_started, payable=True)
    if enrollment.status == EnrollmentStatus.ENDED and enrollment.kpj_number is not None:  # it was approved
        return ShownMembership(
            enrollment.kpj_number, enrollment.ended_paid_through, enrollment.ended_coverage_started, payable=False
        )
    return None


@dataclass(frozen=True)
class MemberFacts:
    """What the member's documents show of the person behind a worker (a sponsorship)."""

    kpj_number: str | None
    full_name: str
    nik_masked: str
    birth_date: datetime.date
    programmes: list[str]
    occupation: str
    income_level: int
    paid_through: datetime.date | None  # the coverage ledger's last paid month
    coverage_started: datetime.date | None  # the first month of the current coverage period
    payable: bool  # the sponsorship can still be paid for (so the coverage has a next due date)

    def coverage(self, today: datetime.date) -> Coverage:
        return coverage_for(paid_through=self.paid_through, today=today, payable=self.payable)


def _facts(sponsorship: Enrollment, shown: ShownMembership | None) -> MemberFacts:
    # The name, programmes, occupation and income are the sponsorship's (what its payer declared);
    # the NIK and birth date are the person's.
    member = sponsorship.member
    return MemberFacts(
        kpj_number=shown.kpj_number if shown else None,
        full_name=sponsorship.full_name,
        nik_masked=member.nik_masked,
        birth_date=member.birth_date,
        programmes=sponsorship.programmes,
        occupation=sponsorship.occupation_id,
        income_level=sponsorship.income_level_id,
        paid_through=shown.paid_through if shown else None,
        coverage_started=shown.coverage_started if shown else None,
        payable=shown.payable if shown else False,
    )


def member_facts_for(*, worker: Enrollment) -> MemberFacts:
    """The facts of the member that `worker` (the caller's, already scoped) is a sponsorship of, as
    that sponsorship shows them: an ended one keeps the coverage as it stood when it ended."""
    return _facts(worker, membership_shown_by(worker))


def member_facts_by_kpj(*, kpj_number: str) -> MemberFacts | None:
    """The member with this KPJ number, whoever sponsors them now (the public card check): the name and
    programmes of their current or latest approved sponsorship, the coverage the member's own, live.
    One query."""
    sponsorship = (
        Enrollment.objects.filter(member__kpj_number=kpj_number, kpj_number__isnull=False)
        .select_related("member")
        .only("member__nik_last4", "member__birth_date", "member__kpj_number", "member__paid_through",
              "member__coverage_started", "full_name", "jht", "occupation_id", "income_level_id", "status")
        # The open sponsorship is always the latest approved (one open at a time); a sponsorship that
        # showed the KPJ without an approval time (migrated history) only when there is no other.
        .order_by(F("approved_at").desc(nulls_last=True), "-id")
        .first()
    )
    if sponsorship is None:
        return None
    member = sponsorship.member
    live = ShownMembership(
        member.kpj_number,
        member.paid_through,
        member.coverage_started,
        payable=sponsorship.status == EnrollmentStatus.APPROVED,
    )
    return _facts(sponsorship, live)


@dataclass(frozen=True)
class CardData:
    """The membership card (e-KTA) of API.md `GET /workers/{id}/card`."""

    member: MemberFacts
    coverage: Coverage
    member_since: datetime.date | None
    verify_url: str


def card_data_for(*, worker: Enrollment, today: datetime.date) -> CardData:
    """The card of the member behind `worker`; 409 `worker_not_approved` before they have a KPJ."""
    member = member_facts_for(worker=worker)
    if not member.kpj_number:
        raise Conflict("worker_not_approved", text="card_not_issued", name=member.full_name)
    return CardData(
        member=member,
        coverage=member.coverage(today),
        member_since=member.coverage_started,
        verify_url=cardcode.verify_url(member.kpj_number),
    )


def mask_name(full_name: str) -> str:
    """Each part keeps its first letter: `Siti Aminah` → `S*** A*****` (API.md)."""
    return " ".join(part[0] + "*" * (len(part) - 1) for part in full_name.split())


def mask_kpj(kpj_number: str) -> str:
    """The last 4 digits: `*******0009`."""
    return "*" * (len(kpj_number) - 4) + kpj_number[-4:]


def verification_for(*, code: str, today: datetime.date) -> dict | None:
    """The public answer for a card's code, computed now; None for an unknown, forged or altered code.

    Only what a clinic or employer needs to trust a card: never the NIK, phone, birth date or address.
    """
    kpj_number = cardcode.card_code_read(code)
    if kpj_number is None:
        return None
    member = member_facts_by_kpj(kpj_number=kpj_number)
    if member is None:
        return None
    coverage = member.coverage(today)
    return {
        "valid": True,
        "name": mask_name(member.full_name),
        "kpj_masked": mask_kpj(kpj_number),
        "programmes": member.programmes,
        "coverage_status": coverage.status,
        "paid_through": coverage.paid_through,
        "checked_at": timezone.now(),
    }


def benefits_for(*, worker: Enrollment, today: datetime.date, language: str) -> list[dict]:
    """What the member behind `worker` is protected for today (API.md `GET /workers/{id}/benefits`)."""
    member = member_facts_for(worker=worker)
    return benefit_list(
        programmes=member.programmes,
        income_level=member.income_level,
        birth_date=member.birth_date,
        coverage_status=member.coverage(today).status,
        coverage_started=member.coverage_started,
        today=today,
        language=language,
    )
