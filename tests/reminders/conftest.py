"""Fixtures for the reminder tests: a pinned clock (the business date: `pin_today` in tests/conftest.py)."""

import datetime

import pytest


@pytest.fixture
def clock(monkeypatch):
    """clock(moment): `timezone.now()` answers `moment`. `contributions.reminders.timezone` is
    django.utils.timezone itself, so every reader of the time (and `today_wib`) follows."""

    def set_to(moment: datetime.datetime) -> datetime.datetime:
        monkeypatch.setattr("contributions.reminders.timezone.now", lambda: moment)
        return moment

    return set_to
