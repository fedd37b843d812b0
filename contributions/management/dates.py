"""The `--date YYYY-MM-DD` option that the daily commands (send_reminders, autopay) share."""

import datetime

from django.core.management.base import CommandError

from registration import services as registration


def add_date_option(parser) -> None:
    parser.add_argument("--date", help="YYYY-MM-DD (default: today in Asia/Jakarta)")


def day_from_option(date: str | None) -> datetime.date:
    """The day the command runs for: `--date`, else today in WIB."""
    if not date:
        return registration.today_wib()
    try:
        return datetime.date.fromisoformat(date)
    except ValueError as exc:
        raise CommandError("--date must be YYYY-MM-DD") from exc
