"""Admin lists over big tables count unfiltered pages from PostgreSQL's estimate, filtered ones exactly."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.paginator import EstimatedCountPaginator
from sponsors.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _counts(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


@pytest.fixture
def big(monkeypatch):
    """Treat every table as big: estimated as soon as PostgreSQL has an estimate."""
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 0)


@pytest.fixture
def analyzed_accounts():
    for n in range(7):
        UserFactory(full_name=f"Akun {n}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sponsors_user")
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'sponsors_user'::regclass")
        return cursor.fetchone()[0]


def test_an_unfiltered_big_list_uses_the_estimate_and_counts_nothing(big, analyzed_accounts):
    paginator = EstimatedCountPaginator(User.objects.order_by("-id"), 100)

    with CaptureQueriesContext(connection) as queries:
        count = paginator.count

    assert count == analyzed_accounts == User.objects.count()  # ANALYZE of a small table is exact
    assert _counts(queries) == []


def test_a_filtered_list_counts_exactly(big, analyzed_accounts):
    paginator = EstimatedCountPaginator(User.objects.filter(full_name__startswith="Akun 1").order_by("-id"), 100)

    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 1

    assert len(_counts(queries)) == 1


def test_a_small_table_counts_exactly(analyzed_accounts):
    # The real threshold: 7 accounts are far below it.
    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(User.objects.order_by("-id"), 100).count

    assert count == User.objects.count()
    assert len(_counts(queries)) == 1


def test_a_table_without_an_estimate_counts_exactly(big):
    UserFactory()
    with connection.cursor() as cursor:
        # A table created in this test database and never analyzed: no estimate yet.
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'auth_group'::regclass")
        assert cursor.fetchone()[0] < 0
    Group.objects.get_or_create(name="temporary")

    assert EstimatedCountPaginator(Group.objects.order_by("id"), 100).count == Group.objects.count()


def test_the_admin_list_of_accounts_does_not_count_the_table(big, analyzed_accounts, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/sponsors/user/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == analyzed_accounts
    assert [sql for sql in _counts(queries) if "sponsors_user" in sql] == []


def test_a_filter_the_planner_expects_many_rows_of_uses_its_estimate(monkeypatch, analyzed_accounts):
    monkeypatch.setattr(EstimatedCountPaginator, "filtered_exact_below", 5)
    filtered = User.objects.filter(full_name__startswith="Akun").order_by("-id")

    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(filtered, 100).count

    assert _counts(queries) == []
    assert any(q["sql"].startswith("EXPLAIN") for q in queries.captured_queries)
    assert count >= 5  # the planner's figure (7 matching rows, of a small analyzed table)


def test_a_filter_the_planner_expects_few_rows_of_counts_exactly(monkeypatch, analyzed_accounts):
    monkeypatch.setattr(EstimatedCountPaginator, "filtered_exact_below", 1_000)
    with CaptureQueriesContext(connection) as queries:
        assert EstimatedCountPaginator(User.objects.filter(full_name="Akun 3").order_by("-id"), 100).count == 1
    assert len(_counts(queries)) == 1


def test_a_filter_that_can_match_nothing_counts_zero_without_asking(analyzed_accounts):
    with CaptureQueriesContext(connection) as queries:
        assert EstimatedCountPaginator(User.objects.filter(pk__in=[]).order_by("-id"), 100).count == 0
    assert queries.captured_queries == []
