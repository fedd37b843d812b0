from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "contributions"
    verbose_name = "Contributions and payments"

    def ready(self) -> None:
        from contributions.pricing import monthly_contributions_normal
        from contributions.services import invoices_cancel_for_worker
        from registration import ports

        ports.monthly_contributions.register(monthly_contributions_normal)
        ports.billing_stop.register(lambda enrollment_id: invoices_cancel_for_worker(enrollment_id=enrollment_id))
