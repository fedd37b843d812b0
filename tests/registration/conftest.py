"""Helpers for the registration tests (workers API, NIK storage, review, admin)."""

import datetime

import pytest
from django.utils import timezone

from registration.models import Enrollment


def years_ago(years: int, *, plus_days: int = 0) -> datetime.date:
    """The date `years` before today (WIB), moved by `plus_days`; 29 Feb falls back to 28 Feb."""
    today = timezone.localdate()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return day + datetime.timedelta(days=plus_days)


def db_row(worker_id: int) -> dict:
    """Every column of an enrollment, for before/after comparisons."""
    return Enrollment.objects.filter(pk=worker_id).values().get()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a call and then its on_commit callbacks (queued SMS are sent to the file backend)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
