from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class ContributionsConfig(AppConfig):
    name = "contributions"
    verbose_name = "Contributions and payments"

    def ready(self) -> None:
        from contributions.gateways.methods import CODES

        if settings.DEFAULT_PAYMENT_METHOD not in CODES:
            raise ImproperlyConfigured(f"DEFAULT_PAYMENT_METHOD must be one of {', '.join(CODES)}.")
        from contributions.pricing import monthly_contributions_normal
        from contributions.services import invoices_cancel_for_worker
        from registration import ports

        ports.monthly_contributions.register(monthly_contributions_normal)
        ports.billing_stop.register(lambda enrollment_id: invoices_cancel_for_worker(enrollment_id=enrollment_id))
