"""The Midtrans notification signature against a known answer, not against our own signing function.

Midtrans signs an HTTP notification with signature_key = SHA512(order_id + status_code + gross_amount
+ server key), over the strings as sent (https://docs.midtrans.com/docs/https-notification-webhooks,
"Verifying Notification Authenticity"). The digests below were computed outside Python:

    printf '%s' 'INV-202612-000123200150000.00SB-Mid-server-KnownAnswer-2026' | sha512sum
    printf '%s' 'INV-202612-000123201150000.00SB-Mid-server-KnownAnswer-2026' | sha512sum

The order is unknown, so a notification whose signature checks out is answered 404 (API.md: the
signature is checked first, 401 when it fails) and nothing else happens.
"""

import pytest

from contributions.models import GatewayNotification
from tests.api import first_error
from tests.contributions.conftest import notify

pytestmark = pytest.mark.usefixtures("no_throttle")

SERVER_KEY = "SB-Mid-server-KnownAnswer-2026"
SETTLED = "1941ecfb1459cef49f20724788ef86e15dd176cf22fac4429716a79af5c42910f4bb01119ef8896720b4ac46dbb721071bc2d967b8ab7791e233f18f70d195cb"  # noqa: E501
PENDING = "34124f55364e6e7b4cfa6dd162f4e124a12acfc1877b8595e0bf995ea3c1d3e2143505742ecdd39ebd0a571d138c7996b8d20bc3510c87ec8a823fcbebf09afe"  # noqa: E501


def body(status_code: str, signature: str, **changes) -> dict:
    notification = {
        "order_id": "INV-202612-000123",
        "status_code": status_code,
        "gross_amount": "150000.00",
        "transaction_status": "settlement" if status_code == "200" else "pending",
        "transaction_id": "0b1c7f2e-known-answer",
        "payment_type": "bank_transfer",
        "signature_key": signature,
    }
    notification.update(changes)
    return notification


@pytest.fixture
def midtrans_key(settings):
    settings.PAYMENT_GATEWAY = "midtrans"
    settings.MIDTRANS_SERVER_KEY = SERVER_KEY


@pytest.mark.django_db
@pytest.mark.parametrize("status_code, signature", [("200", SETTLED), ("201", PENDING)])
def test_a_notification_signed_as_midtrans_documents_passes_the_signature_check(api_client, midtrans_key,
                                                                                status_code, signature):
    response = notify(api_client, body(status_code, signature), gateway="midtrans")

    assert response.status_code == 404  # signature accepted; the order is not ours
    assert GatewayNotification.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("notification", [
    body("200", PENDING),  # the other status code's signature
    body("200", SETTLED, gross_amount="150000"),  # the amount is signed as sent, with its decimals
    body("200", SETTLED, order_id="INV-202612-000124"),
    body("200", SETTLED.upper()),  # the digest is lower-case hex, as sha512sum prints it
    body("200", SETTLED[:-1] + "a"),
])
def test_a_notification_that_differs_from_the_known_answer_is_refused(api_client, midtrans_key, notification):
    response = notify(api_client, notification, gateway="midtrans")

    assert response.status_code == 401
    assert first_error(response) == ("signature_invalid", "signature_key")


@pytest.mark.django_db
def test_the_known_answer_fails_under_another_server_key(api_client, settings):
    settings.PAYMENT_GATEWAY = "midtrans"
    settings.MIDTRANS_SERVER_KEY = "SB-Mid-server-another-key"

    assert notify(api_client, body("200", SETTLED), gateway="midtrans").status_code == 401
