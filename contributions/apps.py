from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class ContributionsConfig(AppConfig):
    name = "contributions"
    verbose_name = _("Contributions and payments")

    def ready(self) -> None:
        from contributions.gateways.methods import ONE_OFF_CODES

        if settings.DEFAULT_PAYMENT_METHOD not in ONE_OFF_CODES:
            raise ImproperlyConfigured(f"DEFAULT_PAYMENT_METHOD must be one of {', '.join(ONE_OFF_CODES)}.")
        if not 1 <= settings.AUTOPAY_CHARGE_DAY <= 11:
            raise ImproperlyConfigured("AUTOPAY_CHARGE_DAY must be 1 to 11 (before the retries on the 12th and 14th).")
        from contributions.pricing import monthly_contributions_normal
        from contributions.autopay import autopay_worker_set
        from contributions.services import invoices_cancel_for_worker
        from registration import ports

        ports.monthly_contributions.register(monthly_contributions_normal)
        ports.billing_stop.register(lambda enrollment_id: invoices_cancel_for_worker(enrollment_id=enrollment_id))
        ports.autopay_set.register(lambda enrollment_id, on: autopay_worker_set(enrollment_id=enrollment_id, on=on))
