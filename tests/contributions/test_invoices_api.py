"""POST/GET /invoices, cancel, Idempotency-Key (API.md, Invoices and payment)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from contributions import services
from contributions.api.serializers import InvoiceSerializer, MonthPriceSerializer, PaymentInfoSerializer
from contributions.models import Invoice, InvoiceMonth, Payment
from contributions.pricing import RateBook
from tests.api import client_for, first_error
from tests.concurrency import run_together
from tests.contributions.conftest import invoice_post
from tests.factories import enrollment

pytestmark = pytest.mark.usefixtures("reference", "december", "no_throttle")

DEC = {"month": "2026-12", "jkk": 5000, "jkm": 3400, "jht": 20000, "total": 28400, "adjustment": "PP 50/2025"}
JAN = {"month": "2027-01", "jkk": 10000, "jkm": 6800, "jht": 20000, "total": 36800, "adjustment": None}
FEB = {"month": "2027-02", "jkk": 10000, "jkm": 6800, "jht": 20000, "total": 36800, "adjustment": None}


@pytest.fixture
def workers(user):
    made = [enrollment(sponsor=user), enrollment(sponsor=user)]
    assert [w.status for w in made] == ["approved", "approved"]
    return made


def test_create_answers_the_documented_shape(auth_client, workers):
    a, b = workers
    before = timezone.now()
    response = invoice_post(auth_client, [{"worker": a.pk, "months": 3}, {"worker": b.pk, "months": 3}])
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "number", "status", "total", "items", "payment", "created_at", "paid_at", "receipt"}
    assert body["receipt"] is None
    # Rendered by one plain function: still exactly what the schema's serializers declare.
    assert set(body) == set(InvoiceSerializer().fields)
    assert set(body["payment"]) <= set(PaymentInfoSerializer().fields)
    assert all(set(month) == set(MonthPriceSerializer().fields) for item in body["items"] for month in item["months"])
    invoice = Invoice.objects.get()
    assert body["id"] == invoice.pk
    assert re.fullmatch(r"INV-\d{6}-\d{6}", body["number"])
    assert body["number"] == f"INV-{timezone.localtime(invoice.created_at):%Y%m}-{invoice.pk:06d}"
    assert body["status"] == "pending"
    assert body["total"] == 2 * (28400 + 36800 + 36800) == 204000
    assert body["items"] == [
        {"worker": a.pk, "months": [DEC, JAN, FEB]},
        {"worker": b.pk, "months": [DEC, JAN, FEB]},
    ]
    payment = body["payment"]
    assert set(payment) == {"gateway", "method", "va_number", "bank", "expires_at"}
    assert (payment["gateway"], payment["method"], payment["bank"]) == ("simulator", "va_bca", "bca")
    assert payment["va_number"] and payment["va_number"] == invoice.va_number
    expires = parse_datetime(payment["expires_at"])
    assert expires.tzinfo is not None
    assert before + datetime.timedelta(hours=24) - datetime.timedelta(minutes=1) <= expires
    assert expires <= timezone.now() + datetime.timedelta(hours=24, minutes=1)
    assert parse_datetime(body["created_at"]).tzinfo is not None
    assert body["paid_at"] is None
    assert InvoiceMonth.objects.filter(invoice=invoice).count() == 6
    # GET answers the same invoice.
    assert auth_client.get(f"/api/v1/invoices/{invoice.pk}").json() == body


def test_idempotency_key_is_required(auth_client, workers):
    response = auth_client.post("/api/v1/invoices", {"items": [{"worker": workers[0].pk, "months": 1}]}, format="json")
    assert response.status_code == 400
    assert first_error(response)[0] == "idempotency_key_required"
    blank = invoice_post(auth_client, [{"worker": workers[0].pk, "months": 1}], key="  ")
    assert blank.status_code == 400
    assert first_error(blank)[0] == "idempotency_key_required"
    assert Invoice.objects.count() == 0


def test_same_key_and_body_replays_the_first_response(auth_client, workers):
    items = [{"worker": workers[0].pk, "months": 3}]
    first = invoice_post(auth_client, items, key="abc-123")
    second = invoice_post(auth_client, items, key="abc-123")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    invoice = Invoice.objects.get()
    assert (invoice.idempotency_key, len(invoice.request_hash)) == ("abc-123", 64)


def test_replayed_body_is_byte_identical(auth_client, workers):
    items = [{"worker": workers[0].pk, "months": 3}]
    first = invoice_post(auth_client, items, key="abc-123")
    second = invoice_post(auth_client, items, key="abc-123")
    assert second.content == first.content


def test_a_replay_after_the_invoice_was_paid_is_still_the_first_answer(auth_client, workers):
    a, b = workers
    # Listed in another order than their ids: the replay groups the lines the same way.
    items = [{"worker": max(a.pk, b.pk), "months": 3}, {"worker": min(a.pk, b.pk), "months": 1}]
    first = invoice_post(auth_client, items, key="pay-then-retry")
    number = first.json()["number"]
    assert auth_client.post("/api/v1/payments/simulator/pay", {"number": number}, format="json").status_code == 200
    assert auth_client.get(f"/api/v1/invoices/{first.json()['id']}").json()["status"] == "paid"

    replay = invoice_post(auth_client, items, key="pay-then-retry")
    assert replay.status_code == 201
    assert replay.content == first.content
    assert [item["worker"] for item in replay.json()["items"]] == [items[0]["worker"], items[1]["worker"]]
    assert (replay.json()["status"], replay.json()["paid_at"]) == ("pending", None)
    assert Invoice.objects.count() == 1


def test_same_key_with_another_body_is_refused(auth_client, workers):
    assert invoice_post(auth_client, [{"worker": workers[0].pk, "months": 3}], key="k").status_code == 201
    response = invoice_post(auth_client, [{"worker": workers[0].pk, "months": 6}], key="k")
    assert response.status_code == 422
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert Invoice.objects.count() == 1


def test_keys_are_per_user(auth_client, other_client, other_user, workers):
    mine = invoice_post(auth_client, [{"worker": workers[0].pk, "months": 1}], key="shared")
    theirs_worker = enrollment(sponsor=other_user)
    theirs = invoice_post(other_client, [{"worker": theirs_worker.pk, "months": 1}], key="shared")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_a_failed_request_does_not_burn_its_key(auth_client, user):
    waiting = enrollment(sponsor=user, consent=False)
    refused = invoice_post(auth_client, [{"worker": waiting.pk, "months": 1}], key="retry")
    assert refused.status_code == 409
    services_enrollment = enrollment(sponsor=user)
    # The same key with another body now succeeds: nothing was stored for the refused request.
    ok = invoice_post(auth_client, [{"worker": services_enrollment.pk, "months": 1}], key="retry")
    assert ok.status_code == 201, ok.content


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_the_same_key_make_one_invoice(reference, december, settings):
    settings.API_THROTTLING = False
    from tests.factories import UserFactory

    sponsor = UserFactory()
    worker = enrollment(sponsor=sponsor)
    items = [{"worker": worker.pk, "months": 3}]
    clients = [client_for(sponsor) for _ in range(5)]

    def post(n):
        response = invoice_post(clients[n], items, key="race-key")
        return response.status_code, response.json()

    results = run_together(post, 5)
    assert len(results) == 5
    assert {status for status, _ in results} == {201}
    assert all(body == results[0][1] for _, body in results)
    assert Invoice.objects.count() == 1
    assert InvoiceMonth.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_and_different_bodies_make_one_invoice(reference, december, settings):
    """Different workers, so no row lock orders them: the key's unique index does."""
    settings.API_THROTTLING = False
    from tests.factories import UserFactory

    sponsor = UserFactory()
    workers = [enrollment(sponsor=sponsor) for _ in range(4)]
    clients = [client_for(sponsor) for _ in range(4)]

    def post(n):
        response = invoice_post(clients[n], [{"worker": workers[n].pk, "months": 1}], key="one-key")
        return response.status_code, response.json()

    results = run_together(post, 4)
    assert sorted(status for status, _ in results) == [201, 422, 422, 422]
    assert {body["errors"][0]["code"] for status, body in results if status == 422} == {"idempotency_key_reused"}
    created = next(body for status, body in results if status == 201)
    assert list(Invoice.objects.values_list("pk", "idempotency_key")) == [(created["id"], "one-key")]
    assert InvoiceMonth.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_different_keys_make_one_pending_invoice(reference, december, settings):
    settings.API_THROTTLING = False
    from tests.factories import UserFactory

    sponsor = UserFactory()
    worker = enrollment(sponsor=sponsor)
    clients = [client_for(sponsor) for _ in range(4)]

    def post(n):
        response = invoice_post(clients[n], [{"worker": worker.pk, "months": 1}], key=f"key-{n}")
        return response.status_code, response.json()

    results = run_together(post, 4)
    assert sorted(status for status, _ in results) == [201, 409, 409, 409]
    assert {body["errors"][0]["code"] for status, body in results if status == 409} == {"pending_invoice_exists"}
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize("review", [False, True])
def test_worker_not_approved(auth_client, user, settings, review):
    if review:
        settings.REVIEW_MODE = "all"
        worker = enrollment(sponsor=user)
        settings.REVIEW_MODE = "flagged"
        assert worker.status == "pending_review"
    else:
        worker = enrollment(sponsor=user, consent=False)
        assert worker.status == "awaiting_consent"
    response = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}])
    assert response.status_code == 409
    assert first_error(response)[0] == "worker_not_approved"
    assert Invoice.objects.count() == 0


def test_ended_worker_cannot_be_billed(auth_client, workers):
    from registration import services as registration

    registration.enrollment_end(enrollment=workers[0])
    response = invoice_post(auth_client, [{"worker": workers[0].pk, "months": 1}])
    assert response.status_code == 409
    assert first_error(response)[0] == "worker_not_approved"


def test_another_users_worker_is_404(auth_client, other_user, workers):
    theirs = enrollment(sponsor=other_user)
    response = invoice_post(auth_client, [{"worker": workers[0].pk, "months": 1}, {"worker": theirs.pk, "months": 1}])
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize("worker", [2**63 - 1, 2**63, 10**20])
def test_a_worker_id_no_row_can_have_is_404(auth_client, workers, worker):
    """Beyond the id column's range too (SQLite's driver cannot even send such an integer)."""
    response = invoice_post(auth_client, [{"worker": workers[0].pk, "months": 1}, {"worker": worker, "months": 1}])
    assert response.status_code == 404
    assert first_error(response)[0] == "not_found"
    assert Invoice.objects.count() == 0


def test_pending_invoice_exists(auth_client, workers):
    a, b = workers
    assert invoice_post(auth_client, [{"worker": a.pk, "months": 1}], key="1").status_code == 201
    response = invoice_post(auth_client, [{"worker": b.pk, "months": 1}, {"worker": a.pk, "months": 3}], key="2")
    assert response.status_code == 409
    assert first_error(response)[0] == "pending_invoice_exists"
    assert Invoice.objects.count() == 1
    # The other worker alone is fine.
    assert invoice_post(auth_client, [{"worker": b.pk, "months": 1}], key="3").status_code == 201


@pytest.mark.parametrize("months", [2, 0, 24, "x", None])
def test_months_not_allowed(auth_client, workers, months):
    response = invoice_post(auth_client, [{"worker": workers[0].pk, "months": months}])
    assert response.status_code == 400, response.content
    codes = [error["code"] for error in response.json()["errors"]]
    if months is None:
        assert codes  # a null is reported as DRF's `null`
    else:
        assert codes == ["months_not_allowed"]
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize(
    "items, errors",
    [
        ([{"worker": 1, "months": 1}, {"worker": 2, "months": 7}], [("months_not_allowed", "items.1.months")]),
        ([{"worker": 1, "months": 1}, {"worker": 2, "months": "3"}], [("months_not_allowed", "items.1.months")]),
        ([{"worker": 1, "months": 1}, {"worker": 2}], [("required", "items.1.months")]),
        ([{"worker": "x", "months": 1}], [("invalid", "items.0.worker")]),
        ([{"worker": 0, "months": 1}], [("min_value", "items.0.worker")]),
        ([{"months": 1}, {"worker": None, "months": 1}], [("required", "items.0.worker"), ("null", "items.1.worker")]),
        ([{"worker": 1, "months": 1}, 5], [("invalid", "items.1.non_field_errors")]),
        ([None], [("null", "items.0.non_field_errors")]),
        ([{"worker": 1, "months": 1}, {"worker": 2, "months": 1}, {"worker": 1, "months": 3}],
         [("items_invalid", "items.2.worker")]),
        # The list itself.
        ([], [("items_invalid", "items")]),
        ("x", [("items_invalid", "items")]),
        ([{"worker": n, "months": 1} for n in range(1, 52)], [("items_invalid", "items")]),
    ],
    ids=["months-7", "months-a-string", "months-missing", "worker-a-string", "worker-0", "worker-missing-and-null",
         "item-a-number", "item-null", "worker-repeated", "empty", "not-a-list", "too-many"],
)
def test_an_item_error_names_the_item_and_its_field(auth_client, items, errors):
    """Not `attr: "items"` for every one of them: the app shows the error beside that worker."""
    response = invoice_post(auth_client, items)
    assert response.status_code == 400, response.content
    first_error(response)
    assert [(e["code"], e["attr"]) for e in response.json()["errors"]] == errors
    assert Invoice.objects.count() == 0


def test_a_worker_not_approved_is_named_by_its_item(auth_client, user, workers):
    waiting = enrollment(sponsor=user, consent=False)
    items = [{"worker": workers[0].pk, "months": 1}, {"worker": workers[1].pk, "months": 1}, {"worker": waiting.pk, "months": 1}]
    response = invoice_post(auth_client, items)
    assert response.status_code == 409, response.content
    assert first_error(response) == ("worker_not_approved", "items.2.worker")


def test_server_owned_fields_are_ignored(auth_client, workers):
    response = invoice_post(
        auth_client,
        [{"worker": workers[0].pk, "months": 1, "total": 1}],
        status="paid",
        total=1,
        number="INV-000000-000001",
        paid_at="2026-12-01T00:00:00+07:00",
        payment={"gateway": "midtrans", "va_number": "1"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["total"] == 28400
    assert body["number"] != "INV-000000-000001"
    assert body["paid_at"] is None
    assert body["payment"]["gateway"] == "simulator" and body["payment"]["va_number"] != "1"
    invoice = Invoice.objects.get()
    assert (invoice.status, invoice.total, invoice.paid_at) == ("pending", 28400, None)


def make_invoices(sponsor, worker, count: int) -> list[Invoice]:
    """`count` invoices for one worker: every one but the last cancelled."""
    made = []
    for n in range(count):
        invoice = services.invoice_create(sponsor=sponsor, items=[{"worker": worker.pk, "months": 1}])
        if n < count - 1:
            services.invoice_cancel(invoice=invoice)
        made.append(invoice)
    return made


def test_list_is_newest_first_filtered_and_only_mine(auth_client, other_client, user, other_user, workers):
    made = make_invoices(user, workers[0], 3)
    theirs = make_invoices(other_user, enrollment(sponsor=other_user), 1)
    response = auth_client.get("/api/v1/invoices")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [row["id"] for row in body["results"]] == [i.pk for i in reversed(made)]
    assert theirs[0].pk not in [row["id"] for row in body["results"]]
    cancelled = auth_client.get("/api/v1/invoices?status=cancelled").json()["results"]
    assert [row["id"] for row in cancelled] == [made[1].pk, made[0].pk]
    assert [row["id"] for row in auth_client.get("/api/v1/invoices?status=pending").json()["results"]] == [made[2].pk]
    assert auth_client.get("/api/v1/invoices?status=paid").json()["results"] == []
    # Pay the pending one: ?status=paid now finds it.
    number = made[2].number if made[2].number else Invoice.objects.get(pk=made[2].pk).number
    assert auth_client.post("/api/v1/payments/simulator/pay", {"number": number}, format="json").status_code == 200
    paid = auth_client.get("/api/v1/invoices?status=paid").json()["results"]
    assert [(row["id"], row["status"]) for row in paid] == [(made[2].pk, "paid")]
    assert paid[0]["paid_at"] is not None
    assert [row["id"] for row in other_client.get("/api/v1/invoices").json()["results"]] == [theirs[0].pk]


def test_detail_of_another_users_invoice_is_404(auth_client, other_client, user, workers):
    [invoice] = make_invoices(user, workers[0], 1)
    assert auth_client.get(f"/api/v1/invoices/{invoice.pk}").status_code == 200
    assert other_client.get(f"/api/v1/invoices/{invoice.pk}").status_code == 404
    assert other_client.post(f"/api/v1/invoices/{invoice.pk}/cancel").status_code == 404
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"
    assert auth_client.get("/api/v1/invoices/999999").status_code == 404


def test_cancel(auth_client, user, workers):
    [invoice] = make_invoices(user, workers[0], 1)
    response = auth_client.post(f"/api/v1/invoices/{invoice.pk}/cancel")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["id"] == invoice.pk
    again = auth_client.post(f"/api/v1/invoices/{invoice.pk}/cancel")
    assert again.status_code == 409
    assert first_error(again)[0] == "invoice_not_pending"
    invoice.refresh_from_db()
    assert invoice.status == "cancelled" and invoice.cancelled_at is not None
    # The simulator VA is closed too: paying it now is refused and credits nothing.
    paid = auth_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    assert paid.status_code == 409
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    # Once cancelled, the worker can be billed again.
    assert invoice_post(auth_client, [{"worker": workers[0].pk, "months": 1}], key="after").status_code == 201


def test_cancel_a_paid_invoice_is_refused(auth_client, user, workers):
    [invoice] = make_invoices(user, workers[0], 1)
    auth_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    response = auth_client.post(f"/api/v1/invoices/{invoice.pk}/cancel")
    assert response.status_code == 409
    assert first_error(response)[0] == "invoice_not_pending"
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/invoices")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow(auth_client, user, settings):
    settings.SPONSOR_BURST_LIMIT = 1000
    first = enrollment(sponsor=user)
    [pending] = make_invoices(user, first, 1)
    one = count_queries(auth_client)
    services.invoice_cancel(invoice=pending)
    make_invoices(user, first, 9)  # the remaining ones, each with lines of another worker too
    second = enrollment(sponsor=user)
    services.invoice_create(sponsor=user, items=[{"worker": second.pk, "months": 3}])
    assert len(auth_client.get("/api/v1/invoices").json()["results"]) == 11
    assert count_queries(auth_client) == one


def _writes(queries: list[dict]) -> list[str]:
    """The data-changing statements, as "VERB table"."""
    found = []
    for query in queries:
        # At the start of the statement or of one of its WITH queries ("… AS (INSERT …) INSERT …").
        pattern = r'(?:^|[()])\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?'
        for match in re.finditer(pattern, query["sql"], re.IGNORECASE):
            found.append(f"{match.group(1).split()[0].upper()} {match.group(2)}")
    return found


def test_create_writes_each_row_once_in_a_fixed_number_of_statements(auth_client, workers):
    """Invoice creation is the API's busiest write: its number is known before the row is written,
    so the invoice is inserted complete (no UPDATE rewriting every index of a new row), with its
    idempotency key, and on PostgreSQL in one statement with all its lines and the simulator's
    ledger row for its VA; the statements do not grow with the months or the workers."""
    RateBook.current()  # priced from this process's cache in both requests
    counts = []
    for key, items in (("one", [{"worker": workers[0].pk, "months": 1}]), ("two", [{"worker": workers[1].pk, "months": 12}])):
        with CaptureQueriesContext(connection) as ctx:
            response = invoice_post(auth_client, items, key=key)
        assert response.status_code == 201, response.content
        assert sorted(_writes(ctx.captured_queries)) == [
            "INSERT contributions_invoice",
            "INSERT contributions_invoicemonth",
            "INSERT contributions_simulatortransaction",
        ]
        if connection.vendor == "postgresql":
            together = [q["sql"] for q in ctx.captured_queries if 'INSERT INTO "contributions_invoicemonth"' in q["sql"]]
            assert len(together) == 1 and 'INSERT INTO "contributions_invoice" ' in together[0]
            assert 'INSERT INTO "contributions_simulatortransaction"' in together[0]
            # One round trip each: the user (JWT), the workers' read, the guarded write. (The test's
            # own transaction adds a savepoint around the write, which a request does not have.)
            statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
            assert len(statements) == 3, statements
        invoice = Invoice.objects.get(pk=response.json()["id"])
        assert invoice.idempotency_key == key
        assert invoice.number == f"INV-{timezone.localtime(invoice.created_at):%Y%m}-{invoice.pk:06d}"
        assert invoice.lines.count() == items[0]["months"]
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- Ending a worker stops their billing -------------------------------------------------------------


def test_ending_a_worker_cancels_the_pending_invoice_that_bills_them_whole(
    auth_client, user, workers, django_capture_on_commit_callbacks
):
    a, b = workers
    both = invoice_post(auth_client, [{"worker": a.pk, "months": 3}, {"worker": b.pk, "months": 1}], key="both").json()
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        ended = auth_client.post(f"/api/v1/workers/{a.pk}/end")
    # The gateway's cancel, once the end is committed (besides the SMS telling the worker).
    assert [getattr(c, "func", c).__name__ for c in after_commit].count("_gateway_cancel") == 1
    assert ended.status_code == 200, ended.content
    assert ended.json()["status"] == "ended"

    invoice = Invoice.objects.get(pk=both["id"])
    assert invoice.status == "cancelled" and invoice.cancelled_at is not None
    assert auth_client.get(f"/api/v1/invoices/{invoice.pk}").json()["status"] == "cancelled"
    # Its VA is closed at the gateway: paying it now is refused and covers nothing.
    paid = auth_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    assert paid.status_code == 409
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"
    assert not a.member.coverage_months.exists() and not b.member.coverage_months.exists()
    # The other worker is billed again at once; the ended one is not billable.
    assert invoice_post(auth_client, [{"worker": b.pk, "months": 1}], key="b-again").status_code == 201
    again = invoice_post(auth_client, [{"worker": a.pk, "months": 1}], key="a-again")
    assert (again.status_code, first_error(again)[0]) == (409, "worker_not_approved")


def test_ending_a_worker_keeps_paid_invoices_and_their_coverage(auth_client, user, workers):
    a, b = workers
    paid = invoice_post(auth_client, [{"worker": a.pk, "months": 1}], key="paid").json()
    assert auth_client.post("/api/v1/payments/simulator/pay", {"number": paid["number"]}, format="json").status_code == 200
    other = invoice_post(auth_client, [{"worker": b.pk, "months": 1}], key="other").json()

    assert auth_client.post(f"/api/v1/workers/{a.pk}/end").status_code == 200

    assert Invoice.objects.get(pk=paid["id"]).status == "paid"
    assert a.member.coverage_months.count() == 1
    assert Invoice.objects.get(pk=other["id"]).status == "pending"  # another worker's invoice is untouched


def test_a_refused_end_cancels_nothing(auth_client, user, workers):
    a, _ = workers
    pending = invoice_post(auth_client, [{"worker": a.pk, "months": 1}], key="k").json()
    assert auth_client.post(f"/api/v1/workers/{a.pk}/end").status_code == 200
    # Ending again is refused (409); the invoice cancelled by the first end stays as it was.
    Invoice.objects.filter(pk=pending["id"]).update(status="pending", cancelled_at=None)  # as if made since
    again = auth_client.post(f"/api/v1/workers/{a.pk}/end")
    assert again.status_code == 409
    assert Invoice.objects.get(pk=pending["id"]).status == "pending"


def test_the_gateway_refusing_to_cancel_does_not_undo_the_end(
    auth_client, user, workers, monkeypatch, django_capture_on_commit_callbacks
):
    from contributions.gateways import GatewayError
    from contributions.gateways.simulator import SimulatorGateway

    a, _ = workers
    pending = invoice_post(auth_client, [{"worker": a.pk, "months": 1}], key="k").json()

    def unreachable(self, *, order_id, reference=""):
        raise GatewayError("timeout")

    monkeypatch.setattr(SimulatorGateway, "cancel", unreachable)
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        assert auth_client.post(f"/api/v1/workers/{a.pk}/end").status_code == 200
    assert [getattr(c, "func", c).__name__ for c in after_commit].count("_gateway_cancel") == 1
    assert Invoice.objects.get(pk=pending["id"]).status == "cancelled"  # the VA expires on its own


@pytest.mark.django_db(transaction=True)
def test_ending_and_billing_a_worker_at_once_leaves_no_pending_invoice_for_an_ended_worker(user, workers):
    a, _ = workers
    for round_ in range(3):
        if round_:
            Invoice.objects.filter(status="pending").update(status="cancelled")
            a.__class__.objects.filter(pk=a.pk).update(status="approved", ended_at=None)

        def call(n):
            client = client_for(user)
            if n == 0:
                return client.post(f"/api/v1/workers/{a.pk}/end").status_code
            return invoice_post(client, [{"worker": a.pk, "months": 1}], key=f"race-{round_}").status_code

        statuses = run_together(call, 2)
        assert statuses[0] == 200 and statuses[1] in (201, 409), statuses
        assert not Invoice.objects.filter(status="pending", lines__enrollment=a).exists()


@pytest.mark.django_db(transaction=True)
def test_ending_a_worker_while_their_invoice_is_paid_neither_deadlocks_nor_loses_the_money(user, workers):
    """The end locks the invoice before the worker, like the payment's credit: one waits for the other."""
    for round_ in range(3):
        worker = enrollment(sponsor=user)
        invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}])

        def call(n):
            client = client_for(user)
            if n == 0:
                return client.post(f"/api/v1/workers/{worker.pk}/end").status_code
            return client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json").status_code

        statuses = run_together(call, 2)
        invoice.refresh_from_db()
        assert statuses[0] == 200, statuses
        if statuses[1] == 200 and invoice.status == "paid":  # paid first: credited, the end leaves it paid
            assert worker.member.coverage_months.count() == 1
        elif statuses[1] == 200:  # paid after the cancellation, before the gateway closed the VA: kept for refund
            assert (invoice.status, invoice.review_reason) == ("needs_review", "invoice_closed")
            assert worker.member.coverage_months.count() == 0
            assert Payment.objects.filter(invoice=invoice, credited=False).count() == 1
        else:  # cancelled first: the simulator's VA was closed, the payment refused
            assert (statuses[1], invoice.status, worker.member.coverage_months.count()) == (409, "cancelled", 0)
