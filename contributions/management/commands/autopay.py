"""`manage.py autopay [--date YYYY-MM-DD]`: the autopay run beat makes (plan the month's charges on the
charge day, then charge what is due: the charge day's charges, retries on the 12th and the 14th, charges
in doubt), for a date. Running it twice for one date charges nothing twice.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from contributions import autopay
from registration import services as registration


class Command(BaseCommand):
    help = "Plan and run the automatic monthly payments due on a date (default: today, WIB)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today in Asia/Jakarta)")

    def handle(self, *args, date: str | None = None, **options):
        if date:
            try:
                day = datetime.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError("--date must be YYYY-MM-DD") from exc
        else:
            day = registration.today_wib()
        result = autopay.autopay_run(day=day)
        self.stdout.write(f"Autopay for {day}: {result['planned']} planned, {result['dispatched']} charges handed on.")
