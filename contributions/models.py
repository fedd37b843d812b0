from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from contributions.choices import RateKind
from core.models import BaseModel
from registration.choices import Sector


class ContributionRate(BaseModel):
    """The BPU programme rates in force over a period, for one sector or for every sector.

    Rates change by regulation, so they are data with a validity period, never constants:
    - normal rates (PP 44/2015 as amended): JKK 1 % of the income level, JKM Rp6,800, JHT 2 %;
    - temporary adjustments, e.g. PP 50/2025, which halves JKK and JKM for a period that differs by
      sector (transport Jan 2026 – Mar 2027, non-transport Apr – Dec 2026).
    An adjustment in force for a month and sector wins over the normal rates; a row for the worker's
    sector wins over a row for every sector. Rows of the same kind and sector never overlap.
    """

    kind = models.CharField(max_length=12, choices=RateKind.choices)
    regulation = models.CharField(max_length=60, help_text="The regulation that sets these rates, e.g. PP 50/2025.")
    source = models.CharField(max_length=255, blank=True, help_text="Where the figures come from.")
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True, help_text="Blank: every sector.")
    valid_from = models.DateField(help_text="First day in force (the first of a month).")
    valid_to = models.DateField(null=True, blank=True, help_text="Last day in force; blank: until further notice.")
    jkk_percent = models.DecimalField(
        max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
    )
    jkm_amount = models.PositiveBigIntegerField(help_text="Flat monthly JKM, whole rupiah.")
    jht_percent = models.DecimalField(
        max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
    )

    class Meta:
        ordering = ["valid_from", "kind", "sector"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="%(app_label)s_%(class)s_period_ordered",
            ),
            models.CheckConstraint(condition=Q(jkm_amount__gt=0), name="%(app_label)s_%(class)s_jkm_positive"),
        ]

    def __str__(self) -> str:
        until = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{self.regulation} {self.get_kind_display()} {self.sector or 'all sectors'} {self.valid_from}–{until}"

    def clean(self) -> None:
        if self.valid_from and self.valid_from.day != 1:
            raise ValidationError({"valid_from": "Rates start on the first of a month."})
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "The period ends before it starts."})
        overlapping = ContributionRate.objects.filter(kind=self.kind, sector=self.sector).exclude(pk=self.pk)
        if self.valid_to:
            overlapping = overlapping.filter(valid_from__lte=self.valid_to)
        overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from))
        if overlapping.exists():
            raise ValidationError(
                "Another rate of the same kind and sector is in force during this period: "
                f"{overlapping.first()}."
            )
