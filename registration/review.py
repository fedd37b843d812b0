"""What a reviewer needs to decide on a flagged enrollment: for each flag, its evidence (reads only).

- `registry_mismatch` / `registry_unavailable`: what the sponsor typed beside what the civil registry
  holds. The registry's contract (docs/civil-registry.md) answers only a verdict, so its record is
  shown only where a backend keeps one (the `local` development registry).
- `phone_shared`: the other enrollments with the same phone, and the member whose phone on record it is.
- `sponsor_burst`: the sponsor's registrations in the 24 hours before this one.
- `member_phone_changed`: the member's phone on record beside the one now given (last 4 digits).
Every list is bounded (indexed lookups, at most EVIDENCE_ROWS rows).
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation

from core.crypto import decrypt_text
from registration import registry
from registration.choices import RejectionReason, ReviewFlag
from registration.models import Enrollment, Member

EVIDENCE_ROWS = 50


@dataclass
class FlagEvidence:
    flag: ReviewFlag
    enrollments: list[Enrollment] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    total: int | None = None
    typed: dict | None = None
    registry_record: dict | None = None
    phones: tuple[str, str] | None = None


def registry_record_for(enrollment: Enrollment) -> dict | None:
    """The civil registry's record of the NIK, where the backend keeps one (the local registry)."""
    if settings.CIVIL_REGISTRY_BACKEND != "local":
        return None
    return registry.local_record(decrypt_text(enrollment.member.nik_encrypted))


def evidence_for(enrollment: Enrollment) -> list[FlagEvidence]:
    found = []
    for code in enrollment.review_flags:
        try:
            flag = ReviewFlag(code)
        except ValueError:
            continue
        evidence = FlagEvidence(flag)
        if flag in (ReviewFlag.REGISTRY_MISMATCH, ReviewFlag.REGISTRY_UNAVAILABLE):
            evidence.typed = {"full_name": enrollment.full_name, "birth_date": enrollment.member.birth_date}
            record = registry_record_for(enrollment)
            if record:
                evidence.registry_record = {
                    "full_name": record["full_name"],
                    "birth_date": datetime.date.fromisoformat(record["birth_date"]),
                }
        elif flag == ReviewFlag.PHONE_SHARED:
            others = (Enrollment.objects.filter(phone=enrollment.phone).exclude(pk=enrollment.pk)
                      .select_related("sponsor", "member").order_by("-id"))
            evidence.enrollments = list(others[:EVIDENCE_ROWS])
            evidence.members = list(Member.objects.filter(
                pk__in=Enrollment.objects.filter(phone=enrollment.phone).values("member_id"), phone=enrollment.phone,
            ).exclude(pk=enrollment.member_id)[:EVIDENCE_ROWS])
        elif flag == ReviewFlag.SPONSOR_BURST:
            since = enrollment.created_at - datetime.timedelta(hours=24)
            burst = (Enrollment.objects.filter(sponsor_id=enrollment.sponsor_id, created_at__gte=since,
                                               created_at__lte=enrollment.created_at)
                     .exclude(pk=enrollment.pk).select_related("member").order_by("-id"))
            evidence.enrollments = list(burst[:EVIDENCE_ROWS])
            evidence.total = burst.count() if len(evidence.enrollments) == EVIDENCE_ROWS else len(evidence.enrollments)
        elif flag == ReviewFlag.MEMBER_PHONE_CHANGED:
            evidence.phones = (enrollment.member.phone, enrollment.phone)
            evidence.enrollments = list(
                Enrollment.objects.filter(member_id=enrollment.member_id).exclude(pk=enrollment.pk)
                .select_related("sponsor").order_by("-id")[:EVIDENCE_ROWS]
            )
        found.append(evidence)
    return found


def rejection_text(*, prepared: str, note: str, language: str) -> str:
    """The reason the sponsor reads: the prepared reason in their language, then the reviewer's note."""
    parts = []
    if prepared:
        with translation.override(language):
            parts.append(str(RejectionReason(prepared).label))
    if note.strip():
        parts.append(note.strip())
    return " ".join(parts)
