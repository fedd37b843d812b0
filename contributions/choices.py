from django.db import models


class RateKind(models.TextChoices):
    NORMAL = "normal", "Normal rates"
    ADJUSTMENT = "adjustment", "Temporary adjustment"


ALLOWED_MONTH_COUNTS = (1, 3, 6, 12)
# At most this many months beyond the current month may be paid ahead (our rule, DOMAIN.md).
MAX_PREPAY_MONTHS_AHEAD = 12
