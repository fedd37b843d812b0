"""Fixtures shared by the whole suite. Tests run on PostgreSQL and Redis (config.settings.test)."""

import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters and cached values live in Redis: each test starts from an empty cache."""
    cache.clear()
    yield
    cache.clear()


PROJECT_PACKAGES = ("registration", "contributions", "notifications", "sponsors", "core")


@pytest.fixture
def pin_today(monkeypatch):
    """pin_today(date) makes every business-date reader answer `date` (WIB): the function on
    `registration.services`, and any project module that imported it by name."""
    import sys

    import registration.services

    known = [registration.services.today_wib]  # the real function, then each fake we installed

    def pin(day: datetime.date) -> datetime.date:
        fake = lambda: day  # noqa: E731
        monkeypatch.setattr(registration.services, "today_wib", fake)
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] in PROJECT_PACKAGES and any(
                getattr(module, "today_wib", None) is f for f in known
            ):
                monkeypatch.setattr(module, "today_wib", fake)
        known.append(fake)
        return day

    return pin


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def reference(db):
    """Occupations, the Rp1,000,000 income level and the normal + PP 50/2025 rates."""
    from tests.factories import normal_rates, reference_data

    reference_data()
    normal_rates()


@pytest.fixture
def user(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    """An API client authenticated as `user` with a real JWT access token."""
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def other_client(other_user) -> APIClient:
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(other_user).access_token}")
    return client


@pytest.fixture
def notify_file(settings, tmp_path):
    """Send every channel to a JSON-lines file and return a reader of its messages."""
    import json

    path = tmp_path / "notifications.jsonl"
    settings.NOTIFY_SMS_BACKEND = settings.NOTIFY_WHATSAPP_BACKEND = settings.NOTIFY_PUSH_BACKEND = "file"
    settings.NOTIFY_FILE_PATH = str(path)

    class Reader:
        def messages(self) -> list[dict]:
            if not path.exists():
                return []
            return [json.loads(line) for line in path.read_text().splitlines()]

        def last_code(self, to: str | None = None) -> str:
            import re

            for message in reversed(self.messages()):
                if to is None or message["to"] == to:
                    return re.findall(r"\b\d{6}\b", message["body"])[0]
            raise AssertionError(f"no code sent to {to}")

    return Reader()


@pytest.fixture(autouse=True)
def _fresh_rate_book():
    """The process-wide rate cache must not carry rows from another test's (rolled back) data."""
    from contributions.pricing import RateBook
    from registration.selectors import occupation_sectors

    RateBook.forget()
    occupation_sectors.forget()
    yield
    RateBook.forget()
    occupation_sectors.forget()
