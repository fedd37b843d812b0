"""Each role's home page in the back office (issue 24): its own numbers and charts first, links only
to pages the role may open, a fixed number of queries whatever the data, the large-table figures cached."""

import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contributions import services
from contributions.gateways import get_gateway
from contributions.models import Invoice
from registration import services as registration
from tests.factories import UserFactory, enrollment, staff_in

pytestmark = pytest.mark.usefixtures("reference")

HOME = "/admin/"


@pytest.fixture(autouse=True)
def _plain_static_files_and_empty_cache(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    cache.clear()


def home_of(client, user):
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


def section(response, role: str) -> dict:
    return next(s for s in response.context["sections"] if s["role"] == role)


def card(sec: dict, title: str):
    return next(c for c in sec["cards"] if c["title"] == title)


def settle(invoice: Invoice, amount: int | None = None) -> Invoice:
    payload = get_gateway("simulator").pay(order_id=invoice.number, gross_amount=amount)
    notification = services.notification_receive(gateway_name="simulator", payload=payload)
    services.notification_process(notification_id=notification.pk)
    invoice.refresh_from_db()
    return invoice


def new_invoice() -> Invoice:
    worker = enrollment()
    return services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}])


def test_a_reviewer_lands_on_the_review_queue(client, settings):
    settings.REVIEW_MODE = "all"
    waiting = [enrollment(), enrollment()]
    reviewer = staff_in("reviewer")
    registration.enrollment_approve(enrollment=waiting[1], actor=reviewer)

    response = home_of(client, reviewer)

    assert [s["role"] for s in response.context["sections"]] == ["reviewer"]
    queue = section(response, "reviewer")
    assert card(queue, "Menunggu verifikasi")["value"] == 1
    assert card(queue, "Menunggu verifikasi")["href"] == "/admin/registration/enrollment/?status__exact=pending_review"
    assert card(queue, "Terlama menunggu")["href"] == f"/admin/registration/enrollment/{waiting[0].pk}/change/"
    assert card(queue, "Diputuskan hari ini")["value"] == 1
    flags = json.loads(queue["charts"][0]["data"])
    assert dict(zip(flags["labels"], flags["datasets"][0]["data"]))["Mode verifikasi"] == 1
    assert "review_all" not in response.content.decode()


def test_finance_lands_on_the_money(client):
    paid = settle(new_invoice())
    review = settle(new_invoice(), amount=1000)
    assert paid.status == "paid" and review.status == "needs_review"

    response = home_of(client, staff_in("finance"))

    assert [s["role"] for s in response.context["sections"]] == ["finance"]
    money = section(response, "finance")
    collected = f"Rp{paid.total + 1000:,}".replace(",", ".")
    assert card(money, "Diterima hari ini")["value"] == collected
    assert card(money, "Diterima bulan ini")["value"] == collected
    assert card(money, "Perlu ditinjau")["value"] == "Rp1.000"  # the money received, not the invoice's total
    assert card(money, "Pengembalian dana tertunda")["value"] == 1
    assert card(money, "Pengembalian dana tertunda")["footer"] == "Rp1.000 untuk dikembalikan atau dikreditkan"
    assert card(money, "Perlu ditinjau")["href"] == "/admin/contributions/invoice/?case=open"
    assert card(money, "Kasus terbuka terlama")["href"] == f"/admin/contributions/invoice/{review.pk}/change/"
    assert ["Simulator", "BCA Virtual Account"] == money["table"]["rows"][0][:2]


def test_a_closed_case_leaves_the_finance_figures(client):
    refunded = settle(new_invoice(), amount=1000)
    settle(new_invoice(), amount=2000)
    finance = staff_in("finance")
    services.invoice_refund(invoice=refunded, actor=finance, amount=1000, reference="TRF-1",
                            transferred_on=registration.today_wib())

    money = section(home_of(client, finance), "finance")

    assert card(money, "Perlu ditinjau")["value"] == "Rp2.000"
    assert card(money, "Pengembalian dana tertunda")["value"] == 1
    assert card(money, "Pengembalian dana tertunda")["footer"] == "Rp2.000 untuk dikembalikan atau dikreditkan"


def test_an_admin_sees_members_over_time_and_charts(client):
    enrollment()
    paid = settle(new_invoice())
    assert paid.status == "paid"

    response = home_of(client, staff_in("admin"))

    members = section(response, "admin")
    assert card(members, "Pendaftaran baru bulan ini")["value"] == 2
    assert card(members, "Terlindungi bulan ini")["value"] == 1
    html = response.content.decode()
    assert html.count('<canvas class="chart"') == 3
    assert "/static/unfold/js/chart/chart.js" in html


def test_someone_in_no_group_gets_the_plain_list(client):
    response = home_of(client, UserFactory(is_staff=True))
    assert response.context["sections"] == []


@pytest.mark.parametrize("group", ["reviewer", "finance", "admin"])
def test_every_link_on_a_home_page_opens(client, group, settings):
    settings.REVIEW_MODE = "all"
    enrollment()
    settings.REVIEW_MODE = "flagged"
    settle(new_invoice(), amount=1000)
    html = home_of(client, staff_in(group)).content.decode()
    links = set(re.findall(r'href="(/admin/[^"#]*)"', html))
    assert links
    for url in links:
        assert client.get(url.replace("&amp;", "&")).status_code == 200, url


@pytest.mark.parametrize("group", ["reviewer", "finance", "admin"])
def test_a_home_page_makes_the_same_number_of_queries_whatever_the_data(client, group, settings):
    user = staff_in(group)
    client.force_login(user)

    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(HOME).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(4):
        settings.REVIEW_MODE = "all"
        enrollment()
        settings.REVIEW_MODE = "flagged"
        settle(new_invoice(), amount=1000)
    assert queries() == few


def test_the_large_table_figures_are_cached(client):
    client.force_login(staff_in("admin"))
    cache.clear()
    with CaptureQueriesContext(connection) as first:
        client.get(HOME)
    with CaptureQueriesContext(connection) as second:
        client.get(HOME)
    assert len(second) < len(first)
    assert not [q for q in second.captured_queries if "registration_member" in q["sql"]]


def test_flags_are_counted_the_same_where_the_database_cannot_search_json(settings, monkeypatch):
    """`make run` tries the app on SQLite, whose JSON fields have no `contains`: the queue's flags are
    then counted in Python, with the same result."""
    from django.db import connections

    from registration.dashboard import review_queue_figures

    settings.SPONSOR_BURST_LIMIT = 1000
    enrollment(phone="+6281355500099")
    enrollment(phone="+6281355500099")  # shares the phone: flagged
    settings.REVIEW_MODE = "all"
    enrollment()
    in_sql = review_queue_figures()["flags"]
    monkeypatch.setattr(connections["default"].features, "supports_json_field_contains", False)
    in_python = review_queue_figures()["flags"]
    assert in_python == in_sql
    assert dict((flag.value, n) for flag, n in in_sql)["phone_shared"] == 1
    assert dict((flag.value, n) for flag, n in in_sql)["review_all"] == 1
