"""The README journey in one test: signup → verify → token → worker → consent → approved."""

import pytest

from tests.factories import worker_payload


@pytest.mark.django_db(transaction=True)
def test_sponsor_registers_helper_and_gets_kpj(api_client, reference, notify_file):
    signup = api_client.post(
        "/api/v1/auth/signup", {"phone": "0812-2222-3333", "full_name": "Ani", "password": "Sertakan#2026"}
    )
    assert signup.status_code == 201, signup.content
    assert signup.json()["phone"] == "+6281222223333"
    code = notify_file.last_code("+6281222223333")
    assert api_client.post("/api/v1/auth/verify-phone", {"phone": "081222223333", "code": code}).status_code == 200
    tokens = api_client.post("/api/v1/auth/token", {"phone": "6281222223333", "password": "Sertakan#2026"}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    payload = worker_payload(phone="0813-9999-0000")
    created = api_client.post("/api/v1/workers", payload)
    assert created.status_code == 201, created.content
    worker = created.json()
    assert worker["status"] == "awaiting_consent"
    assert worker["nik_masked"] == "*" * 12 + payload["nik"][-4:]
    assert worker["monthly_contribution"] == 36800

    code = notify_file.last_code("+6281399990000")
    consented = api_client.post(f"/api/v1/workers/{worker['id']}/consent", {"code": code})
    assert consented.status_code == 200, consented.content
    assert consented.json()["status"] == "approved"
    assert len(consented.json()["kpj_number"]) == 11
    inbox = api_client.get("/api/v1/notifications").json()["results"]
    assert [item["kind"] for item in inbox] == ["enrollment_approved"]
