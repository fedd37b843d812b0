from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "contributions"
    verbose_name = "Contributions and payments"

    def ready(self) -> None:
        from contributions.pricing import monthly_contributions_normal
        from registration import ports

        ports.register_monthly_pricer(monthly_contributions_normal)
