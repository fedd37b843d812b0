"""Fixtures for the reminder tests: a pinned business date and a pinned clock."""

import datetime
import importlib

import pytest

# The business-date reader, and modules that may have imported it by name.
TODAY_SITES = (
    "registration.services",
    "registration.api.serializers",
    "contributions.selectors",
    "contributions.services",
    "contributions.pricing",
)


@pytest.fixture
def pin_today(monkeypatch):
    """pin_today(date): every business-date reader answers `date` (WIB)."""

    def pin(day: datetime.date) -> datetime.date:
        for site in TODAY_SITES:
            module = importlib.import_module(site)
            if hasattr(module, "today_wib"):
                monkeypatch.setattr(module, "today_wib", lambda day=day: day)
        return day

    return pin


@pytest.fixture
def clock(monkeypatch):
    """clock(moment): `timezone.now()` answers `moment`. `contributions.reminders.timezone` is
    django.utils.timezone itself, so every reader of the time (and `today_wib`) follows."""

    def set_to(moment: datetime.datetime) -> datetime.datetime:
        monkeypatch.setattr("contributions.reminders.timezone.now", lambda: moment)
        return moment

    return set_to
