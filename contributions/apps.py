from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "contributions"
    verbose_name = "Contributions and payments"

    def ready(self) -> None:
        from contributions.pricing import monthly_contributions_normal
        from contributions.services import invoices_cancel_for_worker
        from registration import ports

        ports.register_monthly_pricer(monthly_contributions_normal)
        ports.register_billing_stopper(lambda enrollment_id: invoices_cancel_for_worker(enrollment_id=enrollment_id))
