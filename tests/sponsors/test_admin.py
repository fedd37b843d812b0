"""The account list in the back office: a phone is found exactly, in any format, on its index."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/sponsors/user/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _search(client, term: str) -> tuple[set[int], str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    sql = "\n".join(q["sql"] for q in queries.captured_queries if 'FROM "sponsors_user"' in q["sql"])
    return {obj.pk for obj in response.context["cl"].result_list}, sql


def test_a_phone_in_any_format_is_an_exact_match(admin_client):
    sponsor = UserFactory(phone="+6281234567890", full_name="Siti Aminah")
    UserFactory(phone="+6281234567891", full_name="Budi Santoso")

    for term in ["+6281234567890", "081234567890", "0812-3456-7890", "+62 812 3456 7890"]:
        found, sql = _search(admin_client, term)
        assert found == {sponsor.pk}, term
        assert "LIKE" not in sql.upper(), (term, sql)


def test_a_name_or_an_email_is_searched_inside(admin_client):
    sponsor = UserFactory(full_name="Siti Aminah", email="siti@example.id")
    UserFactory(full_name="Budi Santoso", email="budi@example.id")

    assert _search(admin_client, "aminah")[0] == {sponsor.pk}
    assert _search(admin_client, "siti@")[0] == {sponsor.pk}
