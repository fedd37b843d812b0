"""Schemathesis over the whole OpenAPI schema, every operation, every check, authenticated.

It must find no 5xx, no undocumented status and no response that contradicts the schema (QUALITY.md
Security 9). It talks to the WSGI app in-process, on the test database, with a sponsor who has
approved workers, an invoice and inbox items, so that ids in paths can hit real objects too.
"""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.config import SchemathesisConfig

from config.wsgi import application
from tests.factories import UserFactory, enrollment

ROOT = Path(__file__).resolve().parent.parent

# Generating the schema touches no database, so it is loaded once, at collection.
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/", application, config=SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
)


@pytest.fixture
def wsgi_on_test_database(settings):
    """Like Django's test client: the WSGI handler must not close the test's connection between calls."""
    from django.core import signals
    from django.db import close_old_connections

    settings.API_THROTTLING = False
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


class SponsorToken:
    """The access token of this test's sponsor (set by the fixture; the database is per test)."""

    value = ""


@schema.auth()
class BearerAuth:
    """Schemathesis' own auth hook, so its negative cases (a missing or broken token) stay negative."""

    def get(self, case, context):
        return SponsorToken.value

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@pytest.fixture
def sponsor(db, reference, wsgi_on_test_database):
    """A sponsor with workers (approved and awaiting consent), an invoice and inbox items."""
    from contributions import services as contributions

    sponsor = UserFactory()
    workers = [enrollment(sponsor=sponsor) for _ in range(2)]
    enrollment(sponsor=sponsor, consent=False)
    contributions.invoice_create(sponsor=sponsor, items=[{"worker": workers[0].pk, "months": 1}])
    SponsorToken.value = str(RefreshToken.for_user(sponsor).access_token)
    yield sponsor
    SponsorToken.value = ""


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_conforms_to_the_schema(case, sponsor):
    case.call_and_validate()
