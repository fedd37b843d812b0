"""`manage.py send_reminders [--date YYYY-MM-DD]`: the daily reminder pass that beat runs at 08:00 WIB.

With `--date`, the pass runs as on that date and what it plans is sent at once (an operator's catch-up
or a test run); without it, the date is today (WIB) and SMS/WhatsApp respect quiet hours (20:00–08:00).
Running it twice for one date sends nothing twice.
"""

from django.core.management.base import BaseCommand

from contributions import reminders
from contributions.management.dates import add_date_option, day_from_option


class Command(BaseCommand):
    help = "Plan and send the payment reminders due on a date (default: today, WIB)."

    def add_arguments(self, parser):
        add_date_option(parser)

    def handle(self, *args, date: str | None = None, **options):
        day = day_from_option(date)
        result = reminders.daily_pass(day=day, respect_quiet_hours=date is None)
        self.stdout.write(f"Reminders for {day}: {result['planned']} planned, {result['queued']} queued to send.")
