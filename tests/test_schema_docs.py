"""The OpenAPI document explains every operation, and its examples are true (issue 25).

Every operation has a summary, a description, an example of each request body, an example of each JSON
answer (success and error), and an example of each domain error code it documents. Every example is
valid against the schema of what it exemplifies (objects closed: a field the schema does not name is an
error), and an error example's code is one its answer documents, with the `type` of its status.
"""

import re
from datetime import date, datetime

import jsonschema
import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from core.messages import MESSAGES

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    GENERATOR_STATS.reset()
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def json_media(holder: dict) -> dict | None:
    return (holder or {}).get("content", {}).get("application/json")


def as_json_schema(node):
    """OpenAPI 3.0 → JSON Schema: `nullable` becomes a null alternative, and an object with named
    properties is closed, so an example with a misspelt or invented field fails."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: as_json_schema(value) for key, value in node.items() if key not in ("nullable", "discriminator")}
    if "properties" in converted and "additionalProperties" not in converted:
        converted["additionalProperties"] = False
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date", raises=ValueError)
def _date(value):
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value):
    # API.md: timestamps are ISO 8601 with an offset.
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("uri")
def _uri(value):
    return not isinstance(value, str) or bool(re.match(r"^https?://[^\s/]+", value))


@pytest.fixture(scope="module")
def validate(schema):
    components = as_json_schema(schema["components"])

    def check(example, media_schema) -> list[str]:
        root = {**as_json_schema(media_schema), "components": components}
        validator = jsonschema.Draft202012Validator(root, format_checker=FORMATS)
        return [f"{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}" for error in validator.iter_errors(example)]

    return check


def examples_of(media: dict) -> dict:
    return {name: example["value"] for name, example in (media.get("examples") or {}).items()}


def documented_codes(schema: dict, node: dict) -> set[str]:
    """Every `code` enum value reachable from an error answer's schema."""
    components = schema["components"]["schemas"]
    seen, codes, stack = set(), set(), [node]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
            continue
        if not isinstance(current, dict):
            continue
        ref = current.get("$ref")
        if ref:
            if ref not in seen:
                seen.add(ref)
                stack.append(components[ref.rsplit("/", 1)[1]])
            continue
        code = current.get("properties", {}).get("code")
        if code:
            stack.append({"x-codes": code})
        if "x-codes" in current:
            enum_node = current["x-codes"]
            while "$ref" in enum_node:
                enum_node = components[enum_node["$ref"].rsplit("/", 1)[1]]
            codes.update(value for value in enum_node.get("enum", []) if value)
            for part in enum_node.get("allOf", []) + enum_node.get("oneOf", []):
                stack.append({"x-codes": part})
            continue
        stack.extend(value for key, value in current.items() if key != "x-codes")
    return codes


def test_every_operation_has_a_summary_and_a_description(schema):
    missing = [name for name, operation in operations(schema) if not operation.get("summary") or not operation.get("description")]
    assert not missing


def test_every_request_body_has_an_example(schema):
    missing = [
        name for name, operation in operations(schema)
        if "requestBody" in operation and not examples_of(json_media(operation["requestBody"]) or {})
    ]
    assert not missing


def test_every_json_answer_has_an_example_and_each_domain_code_one(schema):
    missing = []
    for name, operation in operations(schema):
        for status, response in operation["responses"].items():
            media = json_media(response)
            if media is None:  # no content (202, 204), or a document (PDF, PNG, HTML page)
                continue
            shown = examples_of(media)
            if not shown:
                missing.append(f"{name} {status}")
            if status[0] in "45":
                exemplified = {error["code"] for value in shown.values() for error in value["errors"]}
                domain = {code for code in documented_codes(schema, media["schema"]) if code in MESSAGES}
                missing += [f"{name} {status} {code}" for code in sorted(domain - exemplified)]
    assert not missing


def test_every_operation_has_a_success_answer_documented(schema):
    assert not [name for name, operation in operations(schema) if not any(s[0] == "2" for s in operation["responses"])]


def test_every_example_is_valid_against_its_schema(schema, validate):
    invalid = []
    for name, operation in operations(schema):
        holders = [("request", operation.get("requestBody"))] + list(operation["responses"].items())
        for where, holder in holders:
            media = json_media(holder)
            for example_name, value in examples_of(media or {}).items():
                invalid += [f"{name} {where} {example_name}: {error}" for error in validate(value, media["schema"])]
    assert not invalid, "\n".join(invalid)


def test_every_error_example_shows_a_code_its_answer_documents_with_the_type_of_its_status(schema):
    wrong = []
    for name, operation in operations(schema):
        for status, response in operation["responses"].items():
            media = json_media(response)
            if status[0] not in "45" or media is None:
                continue
            codes = documented_codes(schema, media["schema"])
            expected = "validation_error" if status == "400" else "client_error" if status[0] == "4" else "server_error"
            for example_name, value in examples_of(media).items():
                if value["type"] != expected:
                    wrong.append(f"{name} {status} {example_name}: type {value['type']}")
                wrong += [
                    f"{name} {status} {example_name}: {error['code']} not documented"
                    for error in value["errors"]
                    if error["code"] not in codes
                ]
                wrong += [
                    f"{name} {status} {example_name}: no detail" for error in value["errors"] if not error["detail"]
                ]
    assert not wrong, "\n".join(wrong)


def test_the_test_finds_a_false_example(schema, validate):
    """The validation above can fail: a misspelt field, a wrong type and an undocumented code are caught."""
    worker = schema["paths"]["/api/v1/workers/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    good = next(iter(examples_of(worker).values()))
    assert validate(good, worker["schema"]) == []
    assert validate({**good, "nik": "3174014507900001"}, worker["schema"])
    assert validate({**good, "income_level": "1000000"}, worker["schema"])
    conflict = schema["paths"]["/api/v1/workers"]["post"]["responses"]["409"]["content"]["application/json"]
    assert "occupation_invalid" not in documented_codes(schema, conflict["schema"])
    assert {"nik_already_registered", "sponsor_limit_reached"} <= documented_codes(schema, conflict["schema"])


def test_every_operation_takes_accept_language_and_is_in_a_declared_group(schema):
    tags = [tag["name"] for tag in schema["tags"]]
    for name, operation in operations(schema):
        header = [p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == "Accept-Language"]
        assert header and all(words in header[0]["description"] for words in ("`id`", "`en`", "default")), name
        assert {example["value"] for example in header[0]["examples"].values()} == {"id", "en"}, name
        assert operation.get("tags") and set(operation["tags"]) <= set(tags), name


def test_the_groups_follow_the_apps_journey(schema):
    tags = [tag["name"] for tag in schema["tags"]]
    order = [tags.index(name) for name in ("auth", "me", "workers", "sponsorships", "quotes", "payment-methods",
                                           "invoices", "payments", "card-and-receipts", "inbox", "autopay", "verify")]
    assert order == sorted(order)
    assert all(tag.get("description") for tag in schema["tags"])


def test_idempotency_key_is_documented(schema):
    operation = schema["paths"]["/api/v1/invoices"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["required"]
    for words in ("replays", "422", "idempotency_key_reused", "idempotency_key_required", "255"):
        assert words in header["description"], words
    assert {"422", "400"} <= set(operation["responses"])


def test_a_body_can_be_too_large_and_any_request_throttled(schema):
    for name, operation in operations(schema):
        assert "429" in operation["responses"], name
        if "requestBody" in operation:
            media = json_media(operation["responses"]["413"])
            codes = {error["code"] for value in examples_of(media).values() for error in value["errors"]}
            assert codes == {"request_too_large"}, name


def test_self_registration_and_occupations_are_explained(schema):
    operation = schema["paths"]["/api/v1/workers"]["post"]
    assert '"self"' in operation["description"] and "consent" in operation["description"]
    body = operation["requestBody"]["content"]["application/json"]
    assert any(value["relationship"] == "self" for value in examples_of(body).values())
    components = schema["components"]["schemas"]
    occupation = components["WorkerCreateRequest"]["properties"]["occupation"]
    enum = components[re.search(r"#/components/schemas/(\w+)", str(occupation)).group(1)]
    assert "private_driver" in enum["enum"] and "driver" not in enum["enum"]
    assert "`private_driver` - Private driver" in enum["description"]
    relationship = components["WorkerCreateRequest"]["properties"]["relationship"]
    assert "self" in str(relationship)


# --- The generated error examples say what the API answers ------------------------------------------


def _example_error(schema, method: str, path: str, status: str, code: str) -> dict:
    media = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    return next(
        error for value in examples_of(media).values() for error in value["errors"] if error["code"] == code
    )


ANSWERS = [
    # (operation, status, code, the request that gets that answer)
    (("post", "/api/v1/auth/token"), "400", "invalid", lambda c: c.post("/api/v1/auth/token", [], format="json")),
    (("post", "/api/v1/auth/token"), "400", "required", lambda c: c.post("/api/v1/auth/token", {"password": "x"}, format="json")),
    (("post", "/api/v1/auth/token"), "400", "parse_error",
     lambda c: c.post("/api/v1/auth/token", '{"phone": ', content_type="application/json")),
    (("post", "/api/v1/quotes"), "405", "method_not_allowed", lambda c: c.delete("/api/v1/quotes")),
    (("get", "/api/v1/me"), "401", "not_authenticated", lambda c: APIClient().get("/api/v1/me")),
    (("get", "/api/v1/me"), "401", "token_not_valid",
     lambda c: APIClient().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer x.y.z")),
    (("get", "/api/v1/me"), "401", "bad_authorization_header",
     lambda c: APIClient().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer x y")),
    (("post", "/api/v1/auth/token/refresh"), "401", "token_not_valid", "refresh-used"),
    (("get", "/api/v1/workers"), "400", "invalid_choice", lambda c: c.get("/api/v1/workers?status=done")),
    (("get", "/api/v1/invoices"), "400", "invalid_choice", lambda c: c.get("/api/v1/invoices?status=done")),
    (("get", "/api/v1/notifications"), "400", "invalid", lambda c: c.get("/api/v1/notifications?page_size=0")),
    (("post", "/api/v1/invoices"), "400", "idempotency_key_required",
     lambda c: c.post("/api/v1/invoices", {"items": [{"worker": 1, "months": 1}]}, format="json")),
    (("post", "/api/v1/invoices"), "400", "months_not_allowed",
     lambda c: c.post("/api/v1/invoices", {"items": [{"worker": 1, "months": 7}]}, format="json", HTTP_IDEMPOTENCY_KEY="k")),
    (("post", "/api/v1/workers"), "400", "nik_invalid",
     lambda c: c.post("/api/v1/workers", {"nik": "317401450790000"}, format="json")),
    (("post", "/api/v1/auth/signup"), "400", "password_too_short",
     lambda c: c.post("/api/v1/auth/signup", {"phone": "081299990001", "full_name": "Siti Aminah", "password": "k9#"}, format="json")),
    (("post", "/api/v1/workers"), "413", "request_too_large",
     lambda c: c.post("/api/v1/workers", "x" * 3_000_000, content_type="application/json")),
    (("get", "/api/v1/workers/{id}/card"), "409", "worker_not_approved", "card"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("operation, status, code, send", ANSWERS, ids=[f"{a[0][0]} {a[0][1]} {a[2]}" for a in ANSWERS])
def test_an_error_example_is_what_the_api_answers(schema, reference, operation, status, code, send):
    from tests.api import client_for
    from tests.factories import UserFactory, enrollment

    user = UserFactory()
    client = client_for(user)
    if send == "refresh-used":
        from rest_framework_simplejwt.tokens import RefreshToken

        token = RefreshToken.for_user(user)
        token.blacklist()
        response = APIClient().post("/api/v1/auth/token/refresh", {"refresh": str(token)}, format="json")
    elif send == "card":
        waiting = enrollment(sponsor=user, consent=False, full_name="Siti Aminah")
        response = client.get(f"/api/v1/workers/{waiting.pk}/card")
    else:
        response = send(client)
    assert str(response.status_code) == status, response.content
    answered = [error for error in response.json()["errors"] if error["code"] == code]
    assert answered, response.content
    assert _example_error(schema, *operation, status, code) == answered[0]
