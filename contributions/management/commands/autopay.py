"""`manage.py autopay [--date YYYY-MM-DD]`: the autopay run beat makes (plan the month's charges on the
charge day, then charge what is due: the charge day's charges, retries on the 12th and the 14th, charges
in doubt), for a date. Running it twice for one date charges nothing twice.
"""

from django.core.management.base import BaseCommand

from contributions import autopay
from contributions.management.dates import add_date_option, day_from_option


class Command(BaseCommand):
    help = "Plan and run the automatic monthly payments due on a date (default: today, WIB)."

    def add_arguments(self, parser):
        add_date_option(parser)

    def handle(self, *args, date: str | None = None, **options):
        day = day_from_option(date)
        result = autopay.autopay_run(day=day)
        self.stdout.write(f"Autopay for {day}: {result['planned']} planned, {result['dispatched']} charges handed on.")
