"""The reference lists (plain arrays) cost the same number of queries however long they are.
(The paginated lists have theirs next to their API tests: workers, invoices, notifications.)"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registration.models import IncomeLevel, Occupation


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/occupations", "/api/v1/income-levels"])
def test_reference_list_query_count_is_constant(api_client, reference, url):
    _queries(api_client, url)  # warms the per-process rate cache, so both counts are like-for-like
    small = _queries(api_client, url)
    for i in range(15):
        Occupation.objects.create(code=f"extra-{i}", name_id="x", name_en="x", sector="transport")
        IncomeLevel.objects.create(amount=2_000_000 + i * 100_000)
    large = _queries(api_client, url)
    assert large == small
    assert len(api_client.get(url).json()) > 15
