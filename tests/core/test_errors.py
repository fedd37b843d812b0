"""The API's error shape (API.md "General rules"): drf-standardized-errors with domain codes and attr."""

import json

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils import translation
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.exceptions import Conflict, DomainError
from core.messages import MESSAGES, message

factory = APIRequestFactory()


class PhoneSerializer(serializers.Serializer):
    phone = serializers.CharField()

    def validate_phone(self, value):
        raise serializers.ValidationError(message("phone_invalid"), code="phone_invalid")


class RaisingView(APIView):
    """Raises whatever `make_exc` builds; or validates PhoneSerializer when make_exc is None."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    make_exc = None

    def post(self, request):
        if self.make_exc is None:
            PhoneSerializer(data=request.data).is_valid(raise_exception=True)
            return Response({"ok": True})
        raise self.make_exc()


def call(make_exc, data=None, **headers):
    view = RaisingView.as_view(make_exc=make_exc)
    request = factory.post("/x", data or {}, format="json", **headers)
    response = view(request)
    response.render()
    return response.status_code, json.loads(response.content)


def test_domain_error_is_a_400_validation_error_with_code_attr_and_indonesian_detail():
    with translation.override("id"):
        status, body = call(lambda: DomainError("nik_invalid", attr="nik", reason="format"))
    assert status == 400
    assert body == {
        "type": "validation_error",
        "errors": [{"code": "nik_invalid", "detail": "NIK tidak valid: format.", "attr": "nik"}],
    }
    assert body["errors"][0]["detail"] == message("nik_invalid", language="id", reason="format")


def test_default_language_is_indonesian():
    status, body = call(lambda: DomainError("nik_invalid", attr="nik", reason="format"))
    assert status == 400
    assert body["errors"][0]["detail"] == "NIK tidak valid: format."


def test_domain_error_without_attr_has_null_attr():
    with translation.override("id"):
        status, body = call(lambda: DomainError("nik_birth_date_mismatch"))
    assert status == 400
    assert body == {
        "type": "validation_error",
        "errors": [{"code": "nik_birth_date_mismatch", "detail": MESSAGES["nik_birth_date_mismatch"]["id"], "attr": None}],
    }


def test_conflict_is_a_409_client_error():
    with translation.override("id"):
        status, body = call(lambda: Conflict("nik_already_registered"))
    assert status == 409
    assert body == {
        "type": "client_error",
        "errors": [
            {
                "code": "nik_already_registered",
                "detail": "NIK ini sudah terdaftar pada kepesertaan yang masih berjalan.",
                "attr": None,
            }
        ],
    }


def test_conflict_keeps_attr():
    status, body = call(lambda: Conflict("phone_taken", attr="phone"))
    assert status == 409
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "phone_taken"
    assert body["errors"][0]["attr"] == "phone"


def test_domain_error_with_another_status_is_a_client_error():
    status, body = call(lambda: DomainError("not_found", status_code=404))
    assert status == 404
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "not_found"


def test_english_detail_with_accept_language_en():
    # LocaleMiddleware does not run when a view is called directly: activate the language ourselves.
    with translation.override("en"):
        status, body = call(lambda: DomainError("nik_invalid", attr="nik", reason="format"), HTTP_ACCEPT_LANGUAGE="en")
    assert status == 400
    assert body == {
        "type": "validation_error",
        "errors": [{"code": "nik_invalid", "detail": "Invalid NIK: format.", "attr": "nik"}],
    }

    with translation.override("en"):
        status, body = call(lambda: Conflict("nik_already_registered"), HTTP_ACCEPT_LANGUAGE="en")
    assert status == 409
    assert body["errors"][0]["detail"] == "This NIK already has an open enrollment."


def test_message_parameters_and_languages():
    english = message("sponsor_limit_reached", language="en", limit=3)
    assert english == "You already have 3 open enrollments, the maximum."
    indonesian = message("sponsor_limit_reached", language="id", limit=3)
    assert indonesian == "Anda sudah mendaftarkan 3 pekerja aktif, batas maksimal."
    with translation.override("en"):
        assert message("sponsor_limit_reached", limit=2) == "You already have 2 open enrollments, the maximum."
        # An explicit language wins over the active one.
        assert message("sponsor_limit_reached", language="id", limit=2).startswith("Anda sudah mendaftarkan 2")


def test_every_message_has_indonesian_and_english():
    for code, texts in MESSAGES.items():
        assert texts.get("id"), code
        assert texts.get("en"), code
        assert texts["id"] != texts["en"], code


def test_drf_not_found_is_a_404_client_error():
    status, body = call(lambda: exceptions.NotFound())
    assert status == 404
    assert body["type"] == "client_error"
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["code"] == "not_found"
    assert error["attr"] is None
    assert isinstance(error["detail"], str) and error["detail"]
    assert set(error) == {"code", "detail", "attr"}


def test_django_http404_is_a_404_not_found():
    def make():
        return Http404("secret 3174014507900001")

    status, body = call(make)
    assert status == 404
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "not_found"
    assert body["errors"][0]["attr"] is None
    assert "3174014507900001" not in json.dumps(body)


def test_django_permission_denied_is_a_403_client_error():
    status, body = call(lambda: DjangoPermissionDenied())
    assert status == 403
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "permission_denied"
    assert body["errors"][0]["attr"] is None


def test_serializer_validation_error_keeps_custom_code_and_attr():
    with translation.override("id"):
        status, body = call(None, data={"phone": "abc"})
    assert status == 400
    assert body == {
        "type": "validation_error",
        "errors": [{"code": "phone_invalid", "detail": MESSAGES["phone_invalid"]["id"], "attr": "phone"}],
    }


def test_serializer_missing_field_is_required_with_attr():
    status, body = call(None, data={})
    assert status == 400
    assert body["type"] == "validation_error"
    assert body["errors"][0]["code"] == "required"
    assert body["errors"][0]["attr"] == "phone"


def test_raised_validation_error_dict_keeps_code_and_attr():
    def make():
        return serializers.ValidationError({"birth_date": [serializers.ErrorDetail("x", code="nik_birth_date_mismatch")]})

    status, body = call(make)
    assert status == 400
    assert body == {
        "type": "validation_error",
        "errors": [{"code": "nik_birth_date_mismatch", "detail": "x", "attr": "birth_date"}],
    }


def test_unhandled_exception_is_a_500_server_error_without_leaking():
    def make():
        return RuntimeError("boom with nik 3174014507900001")

    status, body = call(make)
    assert status == 500
    assert body["type"] == "server_error"
    assert "3174014507900001" not in json.dumps(body)
    assert "boom" not in json.dumps(body)


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (lambda: exceptions.MethodNotAllowed("GET"), 405, "method_not_allowed"),
        (lambda: exceptions.Throttled(wait=10), 429, "throttled"),
    ],
)
def test_other_client_errors_share_the_shape(make, status, code):
    got_status, body = call(make)
    assert got_status == status
    assert body["type"] == "client_error"
    assert [set(e) for e in body["errors"]] == [{"code", "detail", "attr"}]
    assert body["errors"][0]["code"] == code


def test_a_strict_string_is_measured_before_trimming():
    """The schema's maxLength applies to the value as sent: padding cannot smuggle a longer one in."""
    from rest_framework import serializers as drf

    from core.api.fields import StrictCharField

    class Shape(drf.Serializer):
        token = StrictCharField(max_length=5)

    assert Shape(data={"token": "  abc  "}).is_valid() is False
    assert Shape(data={"token": "abcde"}).is_valid() is True
