"""Fixtures shared by the whole suite. Tests run on PostgreSQL and Redis (config.settings.test)."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters and cached values live in Redis: each test starts from an empty cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
