"""The notifications inbox (API.md "Notifications inbox"; QUALITY.md "Security" 1, "Performance" 4)."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.models import InboxItem

URL = "/api/v1/notifications"
ITEM_FIELDS = {"id", "kind", "title", "body", "created_at", "read_at"}


def add(user, n: int = 1, kind: str = "payment_received") -> list[InboxItem]:
    return [services.inbox_add(user=user, kind=kind, title=f"Judul {i}", body=f"Isi {i}") for i in range(n)]


def assert_client_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == "client_error"
    assert [e["code"] for e in body["errors"]] == [code]


def test_list_shows_only_the_callers_items_newest_first(auth_client, user, other_user):
    first = add(user, kind="enrollment_approved")[0]
    add(other_user, 3)
    second = add(user, kind="payment_received")[0]
    third = add(user, kind="coverage_lapsed")[0]

    response = auth_client.get(URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert body["next"] is None and body["previous"] is None
    assert [item["id"] for item in body["results"]] == [third.pk, second.pk, first.pk]
    assert [item["kind"] for item in body["results"]] == ["coverage_lapsed", "payment_received", "enrollment_approved"]


def test_each_item_has_exactly_the_contract_fields(auth_client, user):
    item = add(user, kind="enrollment_approved")[0]

    [shown] = auth_client.get(URL).json()["results"]

    assert set(shown) == ITEM_FIELDS
    assert shown["id"] == item.pk
    assert (shown["kind"], shown["title"], shown["body"]) == ("enrollment_approved", "Judul 0", "Isi 0")
    assert shown["read_at"] is None
    assert datetime.fromisoformat(shown["created_at"]).utcoffset() is not None


def test_an_empty_inbox_is_an_empty_page(auth_client, other_user):
    add(other_user, 2)

    assert auth_client.get(URL).json() == {"next": None, "previous": None, "results": []}


def test_the_list_is_paginated_without_gaps_or_repeats(auth_client, user):
    items = add(user, 25)

    first = auth_client.get(URL).json()
    assert first["next"] and first["previous"] is None
    second = auth_client.get(first["next"]).json()

    assert second["next"] is None
    ids = [item["id"] for item in first["results"] + second["results"]]
    assert ids == sorted((item.pk for item in items), reverse=True)
    assert 0 < len(first["results"]) < 25


def test_the_list_needs_authentication(api_client, user):
    add(user)

    assert_client_error(api_client.get(URL), 401, "not_authenticated")


def test_reading_an_item_stamps_read_at(auth_client, user):
    item = add(user)[0]

    response = auth_client.post(f"{URL}/{item.pk}/read")

    assert response.status_code == 200, response.content
    assert set(response.json()) == ITEM_FIELDS
    assert response.json()["id"] == item.pk
    assert response.json()["read_at"] is not None
    item.refresh_from_db()
    assert item.read_at is not None
    assert datetime.fromisoformat(response.json()["read_at"]) == item.read_at
    [listed] = auth_client.get(URL).json()["results"]
    assert listed["read_at"] == response.json()["read_at"]


def test_reading_twice_keeps_the_first_read_at(auth_client, user):
    item = add(user)[0]
    first = auth_client.post(f"{URL}/{item.pk}/read").json()["read_at"]

    again = auth_client.post(f"{URL}/{item.pk}/read")

    assert again.status_code == 200
    assert again.json()["read_at"] == first
    item.refresh_from_db()
    assert datetime.fromisoformat(first) == item.read_at


def test_reading_only_touches_that_item(auth_client, user):
    read, unread = add(user, 2)

    auth_client.post(f"{URL}/{read.pk}/read")

    unread.refresh_from_db()
    assert unread.read_at is None


def test_another_users_item_is_404_and_stays_unread(auth_client, other_user):
    theirs = add(other_user)[0]

    response = auth_client.post(f"{URL}/{theirs.pk}/read")

    assert_client_error(response, 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_an_unknown_item_is_the_same_404(auth_client, user):
    mine = add(user)[0]

    assert_client_error(auth_client.post(f"{URL}/{mine.pk + 100_000}/read"), 404, "not_found")


def test_reading_needs_authentication(api_client, user):
    item = add(user)[0]

    assert_client_error(api_client.post(f"{URL}/{item.pk}/read"), 401, "not_authenticated")
    item.refresh_from_db()
    assert item.read_at is None


@pytest.mark.parametrize("path", [f"{URL}/", f"{URL}/1/read/"])
def test_no_trailing_slash_and_no_redirect(auth_client, path):
    response = auth_client.get(path) if path.endswith("s/") else auth_client.post(path)

    assert response.status_code == 404
    assert "Location" not in response


def _queries_for_list(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries)


def test_the_list_makes_a_constant_number_of_queries(auth_client, user, other_user):
    add(user, 1)
    one = _queries_for_list(auth_client)
    assert len(auth_client.get(URL).json()["results"]) == 1

    add(user, 14)
    add(other_user, 5)
    fifteen = _queries_for_list(auth_client)
    assert len(auth_client.get(URL).json()["results"]) == 15

    assert fifteen == one
